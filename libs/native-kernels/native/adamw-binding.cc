// N-API bindings of the adamw family: the fused AdamW update over lists of tensors.
#include "binding.h"
#include "adamw.h"

namespace tunefleet::binding {

namespace {

// adamw(params[], grads[], m[], v[], weightDecay[], learningRate, beta1, beta2, epsilon, step)
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  auto params = info[0].As<Napi::Array>(), grads = info[1].As<Napi::Array>();
  auto ms = info[2].As<Napi::Array>(), vs = info[3].As<Napi::Array>(), decays = info[4].As<Napi::Array>();
  const uint32_t count = params.Length();
  need(info, grads.Length() == count && ms.Length() == count && vs.Length() == count && decays.Length() == count,
       "adamw: params, grads, m, v and weightDecay must have the same length");
  tunefleet::AdamWHyper h{flt(info, 5), flt(info, 6), flt(info, 7), flt(info, 8), num(info, 9)};
  need(info, h.step >= 1, "adamw: step must be >= 1");
  for (uint32_t i = 0; i < count; i++) {
    auto get = [&](Napi::Array arr) {
      Napi::Value v = arr.Get(i);
      need(info, v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array,
           "adamw: entry " + std::to_string(i) + " is not a Float32Array");
      auto t = v.As<Napi::Float32Array>();
      return View<float>{t.Data(), static_cast<int64_t>(t.ElementLength())};
    };
    auto p = get(params), g = get(grads), m = get(ms), v = get(vs);
    need(info, g.length == p.length && m.length == p.length && v.length == p.length,
         "adamw: entry " + std::to_string(i) + " has mismatched lengths");
    tunefleet::adamw(p.data, g.data, m.data, v.data, p.length, decays.Get(i).As<Napi::Number>().FloatValue(), h);
  }
  return info.Env().Undefined();
}

}  // namespace

BindingTable adamwBindings() {
  static const Binding rows[] = {
    {"adamw", AdamW},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
