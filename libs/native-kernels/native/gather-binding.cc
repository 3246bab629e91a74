// N-API bindings of the gather family: the embedding lookup and its gradient.
#include "binding.h"
#include "gather.h"

namespace tunefleet::binding {

namespace {

// unsortedSegmentSum(x, ids, out, inner, numSegments)
Napi::Value UnsortedSegmentSum(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x");
  auto ids = i32(info, 1, "segmentIds");
  auto out = f32(info, 2, "out");
  const int64_t inner = num(info, 3), numSegments = num(info, 4);
  need(info, x.length == ids.length * inner, "unsortedSegmentSum: x length != ids * inner");
  need(info, out.length == numSegments * inner, "unsortedSegmentSum: out length != numSegments * inner");
  tunefleet::unsortedSegmentSum(x.data, ids.data, ids.length, inner, numSegments, out.data);
  return info.Env().Undefined();
}

// gather(x, indices, out, outer, dimSize, inner)
Napi::Value Gather(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x");
  auto indices = i32(info, 1, "indices");
  auto out = f32(info, 2, "out");
  const int64_t outer = num(info, 3), dimSize = num(info, 4), inner = num(info, 5);
  need(info, x.length == outer * dimSize * inner && out.length == outer * indices.length * inner, "gather: bad lengths");
  for (int64_t i = 0; i < indices.length; i++)
    need(info, indices.data[i] >= 0 && indices.data[i] < dimSize, "gather: index out of range");
  tunefleet::gather(x.data, indices.data, out.data, outer, dimSize, inner, indices.length);
  return info.Env().Undefined();
}

}  // namespace

BindingTable gatherBindings() {
  static const Binding rows[] = {
    {"unsortedSegmentSum", UnsortedSegmentSum},
    {"gather", Gather},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
