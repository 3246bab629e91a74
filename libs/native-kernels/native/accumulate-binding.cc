// N-API bindings of the accumulate family: whole-array sums (gradient accumulation, the ring all-reduce).
#include <algorithm>
#include <vector>

#include "binding.h"
#include "accumulate.h"

namespace tunefleet::binding {

namespace {

// addN(inputs: Float32Array[], out)
Napi::Value AddN(const Napi::CallbackInfo& info) {
  auto list = info[0].As<Napi::Array>();
  auto out = f32(info, 1, "out");
  std::vector<const float*> inputs;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    need(info, v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array,
         "addN: input " + std::to_string(i) + " is not a Float32Array");
    auto t = v.As<Napi::Float32Array>();
    need(info, static_cast<int64_t>(t.ElementLength()) == out.length, "addN: input " + std::to_string(i) + " length != out");
    inputs.push_back(t.Data());
  }
  tunefleet::addN(inputs.data(), static_cast<int>(inputs.size()), out.data, out.length);
  return info.Env().Undefined();
}

// addInto(target, source): target += source, same lengths, no overlap.
Napi::Value AddInto(const Napi::CallbackInfo& info) {
  auto target = f32(info, 0, "target"), source = f32(info, 1, "source");
  need(info, target.length == source.length, "addInto: target has " + std::to_string(target.length) +
                                                  " elements, source " + std::to_string(source.length));
  const char* t0 = reinterpret_cast<const char*>(target.data);
  const char* s0 = reinterpret_cast<const char*>(source.data);
  const int64_t bytes = target.length * static_cast<int64_t>(sizeof(float));
  need(info, bytes == 0 || t0 + bytes <= s0 || s0 + bytes <= t0, "addInto: target and source overlap");
  tunefleet::addInto(target.data, source.data, target.length);
  return info.Env().Undefined();
}

// nonzeroBlocks(values, blockFloats, mask): count of blocks with a non-+0 word; mask bits set for them.
Napi::Value NonzeroBlocks(const Napi::CallbackInfo& info) {
  auto values = f32(info, 0, "values");
  const int64_t blockFloats = num(info, 1);
  auto mask = u8(info, 2, "mask");
  need(info, blockFloats >= 1, "nonzeroBlocks: blockFloats must be >= 1");
  const int64_t blocks = (values.length + blockFloats - 1) / blockFloats;
  need(info, mask.length * 8 >= blocks, "nonzeroBlocks: mask of " + std::to_string(mask.length) + " bytes cannot hold " +
                                            std::to_string(blocks) + " blocks");
  std::fill(mask.data, mask.data + mask.length, 0);
  return Napi::Number::New(info.Env(), static_cast<double>(tunefleet::nonzeroBlocks(values.data, values.length, blockFloats, mask.data)));
}

}  // namespace

BindingTable accumulateBindings() {
  static const Binding rows[] = {
    {"addN", AddN},
    {"addInto", AddInto},
    {"nonzeroBlocks", NonzeroBlocks},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
