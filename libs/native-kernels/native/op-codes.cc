// The op-code tables the addon exports as `opCodes`: { unary, binary, activation }, each a map from
// the TypeScript-side name to the enum value, expanded from the lists in the family headers.
#include "binding.h"
#include "elementwise.h"
#include "matmul.h"
#include "unary.h"

namespace tunefleet::binding {

Napi::Object opCodes(Napi::Env env) {
  Napi::Object unary = Napi::Object::New(env);
  Napi::Object binary = Napi::Object::New(env);
  Napi::Object activation = Napi::Object::New(env);
#define TUNEFLEET_UNARY_ROW(suffix, name) unary.Set(name, static_cast<int>(UnaryOp::k##suffix));
#define TUNEFLEET_BINARY_ROW(suffix, name) binary.Set(name, static_cast<int>(BinaryOp::k##suffix));
#define TUNEFLEET_ACTIVATION_ROW(suffix, name) activation.Set(name, static_cast<int>(Activation::k##suffix));
  TUNEFLEET_UNARY_OPS(TUNEFLEET_UNARY_ROW)
  TUNEFLEET_BINARY_OPS(TUNEFLEET_BINARY_ROW)
  TUNEFLEET_ACTIVATIONS(TUNEFLEET_ACTIVATION_ROW)
#undef TUNEFLEET_UNARY_ROW
#undef TUNEFLEET_BINARY_ROW
#undef TUNEFLEET_ACTIVATION_ROW
  Napi::Object codes = Napi::Object::New(env);
  codes.Set("unary", unary);
  codes.Set("binary", binary);
  codes.Set("activation", activation);
  return codes;
}

}  // namespace tunefleet::binding
