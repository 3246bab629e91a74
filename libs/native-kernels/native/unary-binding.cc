// N-API bindings of the unary family: unary ops by op code.
#include "binding.h"
#include "unary.h"

namespace tunefleet::binding {

namespace {

// unary(op, x, out)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int64_t op = num(info, 0);
  auto x = f32(info, 1, "x"), out = f32(info, 2, "out");
  need(info, op >= 0 && op < kUnaryOpCount, "unary: unknown op");
  need(info, out.length == x.length, "unary: out length != x length");
  tunefleet::unary(static_cast<tunefleet::UnaryOp>(op), x.data, out.data, x.length);
  return info.Env().Undefined();
}

}  // namespace

BindingTable unaryBindings() {
  static const Binding rows[] = {
    {"unary", Unary},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
