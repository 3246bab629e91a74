// N-API bindings of the layer-norm family: LayerNorm, the fused residual add + LayerNorm, and their gradient.
#include "binding.h"
#include "layer-norm.h"

namespace tunefleet::binding {

namespace {

// layerNorm(x, gamma, beta, out, mean, rstd, epsilon)
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), gamma = f32(info, 1, "gamma"), beta = f32(info, 2, "beta");
  auto out = f32(info, 3, "out"), mean = f32(info, 4, "mean"), rstd = f32(info, 5, "rstd");
  const int64_t cols = gamma.length;
  need(info, cols > 0 && beta.length == cols && x.length % cols == 0 && out.length == x.length,
       "layerNorm: bad lengths");
  const int64_t rows = x.length / cols;
  need(info, mean.length == rows && rstd.length == rows, "layerNorm: mean/rstd length != rows");
  tunefleet::layerNorm(x.data, gamma.data, beta.data, out.data, mean.data, rstd.data, rows, cols, flt(info, 6));
  return info.Env().Undefined();
}

// addLayerNorm(a, b, gamma, beta, sum, out, mean, rstd, epsilon): layerNorm(a + b), a + b kept in sum
Napi::Value AddLayerNorm(const Napi::CallbackInfo& info) {
  auto a = f32(info, 0, "a"), b = f32(info, 1, "b"), gamma = f32(info, 2, "gamma"), beta = f32(info, 3, "beta");
  auto sum = f32(info, 4, "sum"), out = f32(info, 5, "out"), mean = f32(info, 6, "mean"), rstd = f32(info, 7, "rstd");
  const int64_t cols = gamma.length;
  need(info, cols > 0 && beta.length == cols && a.length % cols == 0 && b.length == a.length && sum.length == a.length &&
       out.length == a.length, "addLayerNorm: bad lengths");
  const int64_t rows = a.length / cols;
  need(info, mean.length == rows && rstd.length == rows, "addLayerNorm: mean/rstd length != rows");
  tunefleet::addLayerNorm(a.data, b.data, sum.data, gamma.data, beta.data, out.data, mean.data, rstd.data, rows, cols,
                          flt(info, 8));
  return info.Env().Undefined();
}

// layerNormGrad(dy, x, gamma, mean, rstd, dx, dgamma, dbeta)
Napi::Value LayerNormGrad(const Napi::CallbackInfo& info) {
  auto dy = f32(info, 0, "dy"), x = f32(info, 1, "x"), gamma = f32(info, 2, "gamma");
  auto mean = f32(info, 3, "mean"), rstd = f32(info, 4, "rstd");
  auto dx = f32(info, 5, "dx"), dgamma = f32(info, 6, "dgamma"), dbeta = f32(info, 7, "dbeta");
  const int64_t cols = gamma.length;
  need(info, cols > 0 && x.length % cols == 0 && dy.length == x.length && dx.length == x.length,
       "layerNormGrad: bad lengths");
  const int64_t rows = x.length / cols;
  need(info, mean.length == rows && rstd.length == rows && dgamma.length == cols && dbeta.length == cols,
       "layerNormGrad: bad lengths");
  tunefleet::layerNormGrad(dy.data, x.data, gamma.data, mean.data, rstd.data, dx.data, dgamma.data, dbeta.data,
                           rows, cols);
  return info.Env().Undefined();
}

}  // namespace

BindingTable layerNormBindings() {
  static const Binding rows[] = {
    {"layerNorm", LayerNorm},
    {"addLayerNorm", AddLayerNorm},
    {"layerNormGrad", LayerNormGrad},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
