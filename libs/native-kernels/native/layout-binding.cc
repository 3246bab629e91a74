// N-API bindings of the layout family: transpose and contiguous-axis sums.
#include "binding.h"
#include "layout.h"

namespace tunefleet::binding {

namespace {

// transpose(x, out, outShape: number[], permutedInStrides: number[])
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 1, "out");
  auto shapeArr = info[2].As<Napi::Array>(), strideArr = info[3].As<Napi::Array>();
  const int rank = static_cast<int>(shapeArr.Length());
  need(info, rank >= 1 && rank <= 8 && strideArr.Length() == shapeArr.Length(), "transpose: rank must be 1..8");
  int64_t shape[8], strides[8], size = 1, maxOff = 0;
  for (int d = 0; d < rank; d++) {
    shape[d] = shapeArr.Get(d).As<Napi::Number>().Int64Value();
    strides[d] = strideArr.Get(d).As<Napi::Number>().Int64Value();
    size *= shape[d];
    if (shape[d] > 0) maxOff += (shape[d] - 1) * strides[d];
  }
  need(info, out.length == size && x.length == size && (size == 0 || maxOff < x.length), "transpose: bad lengths");
  tunefleet::transpose(x.data, out.data, shape, strides, rank);
  return info.Env().Undefined();
}

// reduceSum(x, out, outer, reduce, inner, scale)
Napi::Value ReduceSum(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 1, "out");
  const int64_t outer = num(info, 2), reduce = num(info, 3), inner = num(info, 4);
  need(info, x.length == outer * reduce * inner && out.length == outer * inner, "reduceSum: bad lengths");
  tunefleet::reduceSum(x.data, out.data, outer, reduce, inner, flt(info, 5));
  return info.Env().Undefined();
}

}  // namespace

BindingTable layoutBindings() {
  static const Binding rows[] = {
    {"transpose", Transpose},
    {"reduceSum", ReduceSum},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
