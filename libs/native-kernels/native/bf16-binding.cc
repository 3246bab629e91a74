// N-API bindings of the bf16 family: what the addon can do in bf16, the matMul precision, rounding.
#include "bf16.h"
#include "binding.h"

namespace tunefleet::binding {

namespace {

// bf16Support() -> { dnnl, cpuBf16, detail }
Napi::Value Bf16Support(const Napi::CallbackInfo& info) {
  const tunefleet::Bf16Support s = tunefleet::bf16Support();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("dnnl", s.hasDnnl);
  out.Set("cpuBf16", s.cpuHasBf16);
  out.Set("detail", s.detail);
  return out;
}

// setMatMulPrecision(mode: 0 f32 | 1 bf16 | 2 bf16 emulated) -> the mode in use
Napi::Value SetMatMulPrecision(const Napi::CallbackInfo& info) {
  const int64_t mode = num(info, 0);
  need(info, mode >= 0 && mode <= 2, "setMatMulPrecision: mode must be 0 (f32), 1 (bf16) or 2 (bf16 emulated)");
  const auto used = tunefleet::setPrecision(static_cast<tunefleet::Precision>(mode));
  return Napi::Number::New(info.Env(), static_cast<int>(used));
}

// roundToBf16(x, out): out = x rounded to bf16 (ties to even), as floats
Napi::Value RoundToBf16(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 1, "out");
  need(info, x.length == out.length, "roundToBf16: out has the wrong length");
  tunefleet::roundToBf16(x.data, out.data, x.length);
  return info.Env().Undefined();
}

}  // namespace

BindingTable bf16Bindings() {
  static const Binding rows[] = {
    {"bf16Support", Bf16Support},
    {"setMatMulPrecision", SetMatMulPrecision},
    {"roundToBf16", RoundToBf16},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
