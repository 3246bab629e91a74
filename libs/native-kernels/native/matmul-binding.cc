// N-API bindings of the matmul family: the thread count, the BLAS configuration and matrix products.
#include "binding.h"
#include "matmul.h"

extern "C" {
#include <cblas.h>
}

namespace tunefleet::binding {

namespace {

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  tunefleet::setThreads(static_cast<int>(num(info, 0)));
  return Napi::Number::New(info.Env(), tunefleet::threads());
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), tunefleet::threads()); }

Napi::Value BlasConfig(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), openblas_get_config()); }

// matMul(a, b, out, batch, m, n, k, transposeA, transposeB, aIndex|null, bIndex|null, bias|null, activation, alpha)
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  auto a = f32(info, 0, "a"), b = f32(info, 1, "b"), out = f32(info, 2, "out");
  tunefleet::MatMulArgs p{};
  p.batch = num(info, 3);
  p.m = num(info, 4);
  p.n = num(info, 5);
  p.k = num(info, 6);
  p.transposeA = info[7].ToBoolean();
  p.transposeB = info[8].ToBoolean();
  auto aIndex = i32(info, 9, "aIndex", true), bIndex = i32(info, 10, "bIndex", true);
  auto bias = f32(info, 11, "bias", true);
  p.activation = static_cast<tunefleet::Activation>(num(info, 12));
  p.alpha = flt(info, 13);
  need(info, out.length == p.batch * p.m * p.n, "matMul: out has the wrong length");
  need(info, (aIndex.data != nullptr || a.length == p.batch * p.m * p.k) && a.length % (p.m * p.k > 0 ? p.m * p.k : 1) == 0,
       "matMul: a has the wrong length");
  need(info, (bIndex.data != nullptr || b.length == p.batch * p.k * p.n) && b.length % (p.k * p.n > 0 ? p.k * p.n : 1) == 0,
       "matMul: b has the wrong length");
  need(info, aIndex.data == nullptr || aIndex.length == p.batch, "matMul: aIndex length != batch");
  need(info, bIndex.data == nullptr || bIndex.length == p.batch, "matMul: bIndex length != batch");
  const int64_t aMats = p.m * p.k > 0 ? a.length / (p.m * p.k) : 0;
  const int64_t bMats = p.k * p.n > 0 ? b.length / (p.k * p.n) : 0;
  for (int64_t i = 0; aIndex.data && i < aIndex.length; i++)
    need(info, aIndex.data[i] >= 0 && (p.m * p.k == 0 || aIndex.data[i] < aMats), "matMul: aIndex out of range");
  for (int64_t i = 0; bIndex.data && i < bIndex.length; i++)
    need(info, bIndex.data[i] >= 0 && (p.k * p.n == 0 || bIndex.data[i] < bMats), "matMul: bIndex out of range");
  need(info, bias.data == nullptr || bias.length == p.n, "matMul: bias length != n");
  need(info, num(info, 12) >= 0 && num(info, 12) < kActivationCount, "matMul: unknown activation");
  p.aMatrices = aMats;
  p.bMatrices = bMats;
  p.a = a.data;
  p.b = b.data;
  p.out = out.data;
  p.aIndex = aIndex.data;
  p.bIndex = bIndex.data;
  p.bias = bias.data;
  tunefleet::matMul(p);
  return info.Env().Undefined();
}

}  // namespace

BindingTable matMulBindings() {
  static const Binding rows[] = {
    {"setThreads", SetThreads},
    {"threads", Threads},
    {"blasConfig", BlasConfig},
    {"matMul", MatMul},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
