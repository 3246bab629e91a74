// N-API bindings of the elementwise family: softmax, erf, GELU and broadcasting binary ops.
#include "binding.h"
#include "elementwise.h"

namespace tunefleet::binding {

namespace {

// softmax(x, out, cols)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 1, "out");
  const int64_t cols = num(info, 2);
  need(info, cols > 0 && x.length % cols == 0 && out.length == x.length, "softmax: bad lengths");
  tunefleet::softmaxRows(x.data, out.data, x.length / cols, cols);
  return info.Env().Undefined();
}

// softmaxGrad(y, dy, dx, cols)
Napi::Value SoftmaxGrad(const Napi::CallbackInfo& info) {
  auto y = f32(info, 0, "y"), dy = f32(info, 1, "dy"), dx = f32(info, 2, "dx");
  const int64_t cols = num(info, 3);
  need(info, cols > 0 && y.length % cols == 0 && dy.length == y.length && dx.length == y.length,
       "softmaxGrad: bad lengths");
  tunefleet::softmaxGradRows(y.data, dy.data, dx.data, y.length / cols, cols);
  return info.Env().Undefined();
}

template <void (*Fn)(const float*, float*, int64_t)>
Napi::Value UnaryFn(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 1, "out");
  need(info, out.length == x.length, "unary op: out length != x length");
  Fn(x.data, out.data, x.length);
  return info.Env().Undefined();
}

// geluGrad(x, dy, dx)
Napi::Value GeluGrad(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), dy = f32(info, 1, "dy"), dx = f32(info, 2, "dx");
  need(info, dy.length == x.length && dx.length == x.length, "geluGrad: bad lengths");
  tunefleet::geluGrad(x.data, dy.data, dx.data, x.length);
  return info.Env().Undefined();
}

// binary(op, a, b, out, outShape: number[], aStrides: number[], bStrides: number[])
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(num(info, 0));
  auto a = f32(info, 1, "a"), b = f32(info, 2, "b"), out = f32(info, 3, "out");
  auto shapeArr = info[4].As<Napi::Array>(), aArr = info[5].As<Napi::Array>(), bArr = info[6].As<Napi::Array>();
  const int rank = static_cast<int>(shapeArr.Length());
  need(info, op >= 0 && op < kBinaryOpCount, "binary: unknown op");
  need(info, rank <= 8 && aArr.Length() == shapeArr.Length() && bArr.Length() == shapeArr.Length(),
       "binary: rank > 8 or stride arrays of the wrong rank");
  int64_t shape[8], as[8], bs[8];
  int64_t size = 1, aMax = 0, bMax = 0;
  for (int d = 0; d < rank; d++) {
    shape[d] = shapeArr.Get(d).As<Napi::Number>().Int64Value();
    as[d] = aArr.Get(d).As<Napi::Number>().Int64Value();
    bs[d] = bArr.Get(d).As<Napi::Number>().Int64Value();
    size *= shape[d];
    if (shape[d] > 0) {
      aMax += (shape[d] - 1) * as[d];
      bMax += (shape[d] - 1) * bs[d];
    }
  }
  need(info, out.length == size, "binary: out length != product of shape");
  need(info, size == 0 || (aMax < a.length && bMax < b.length), "binary: strides reach past an input");
  if (size > 0)
    tunefleet::binaryBroadcast(static_cast<tunefleet::BinaryOp>(op), a.data, b.data, out.data, shape, as, bs, rank);
  return info.Env().Undefined();
}

}  // namespace

BindingTable elementwiseBindings() {
  static const Binding rows[] = {
    {"softmax", Softmax},
    {"softmaxGrad", SoftmaxGrad},
    {"erf", UnaryFn<tunefleet::erf>},
    {"gelu", UnaryFn<tunefleet::gelu>},
    {"geluGrad", GeluGrad},
    {"binary", Binary},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
