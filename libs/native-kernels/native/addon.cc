// The addon's entry point: exports every family's bindings (each family lists its own in its
// -binding.cc) and the op-code tables. src/addon.ts checks at load time that the exports are
// exactly the functions its NativeAddon interface declares, so a stale build fails with the names.
#include <set>
#include <string>

#include "binding.h"

namespace tunefleet::binding {

BindingTable accumulateBindings();
BindingTable adamwBindings();
BindingTable attentionBindings();
BindingTable bf16Bindings();
BindingTable dropoutBindings();
BindingTable elementwiseBindings();
BindingTable gatherBindings();
BindingTable layerNormBindings();
BindingTable layoutBindings();
BindingTable matMulBindings();
BindingTable sharedMemoryBindings();
BindingTable unaryBindings();
Napi::Object opCodes(Napi::Env env);

namespace {

Napi::Object ExportAll(Napi::Env env, Napi::Object exports) {
  const BindingTable families[] = {
      accumulateBindings(), adamwBindings(),  attentionBindings(), bf16Bindings(),  dropoutBindings(),
      elementwiseBindings(), gatherBindings(), layerNormBindings(), layoutBindings(),
      matMulBindings(),      sharedMemoryBindings(), unaryBindings(),
  };
  std::set<std::string> seen;
  for (const BindingTable& family : families) {
    for (size_t i = 0; i < family.count; i++) {
      const Binding& row = family.rows[i];
      // Two families exporting one name would silently keep the last: refuse to load instead.
      if (!seen.insert(row.name).second) {
        throw Napi::Error::New(env, std::string("native addon: binding \"") + row.name + "\" is exported twice");
      }
      exports.Set(row.name, Napi::Function::New(env, row.fn, row.name));
    }
  }
  exports.Set("opCodes", opCodes(env));
  return exports;
}

}  // namespace

}  // namespace tunefleet::binding

// NODE_API_MODULE pastes the function's name into an identifier, so it takes an unqualified one.
static Napi::Object Init(Napi::Env env, Napi::Object exports) { return tunefleet::binding::ExportAll(env, exports); }

NODE_API_MODULE(tunefleet_native, Init)
