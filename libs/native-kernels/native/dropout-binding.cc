// N-API bindings of the dropout family: dropout keep masks and applying them.
#include "binding.h"
#include "dropout.h"

namespace tunefleet::binding {

namespace {

// keepMask(seed, rate, keep: Uint8Array)
Napi::Value KeepMask(const Napi::CallbackInfo& info) {
  auto keep = u8(info, 2, "keep");
  need(info, keep.data != nullptr || keep.length == 0, "keepMask: keep must be a Uint8Array");
  const double rate = info[1].As<Napi::Number>().DoubleValue();
  tunefleet::keepMask(static_cast<uint32_t>(info[0].As<Napi::Number>().Int64Value()), rate, keep.data, keep.length);
  return info.Env().Undefined();
}

// applyKeepMask(x, keep, scale, out)
Napi::Value ApplyKeepMask(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 3, "out");
  auto keep = u8(info, 1, "keep");
  need(info, keep.length == x.length && out.length == x.length, "applyKeepMask: x, keep and out must have the same length");
  tunefleet::applyKeepMask(x.data, keep.data, flt(info, 2), out.data, x.length);
  return info.Env().Undefined();
}

}  // namespace

BindingTable dropoutBindings() {
  static const Binding rows[] = {
    {"keepMask", KeepMask},
    {"applyKeepMask", ApplyKeepMask},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
