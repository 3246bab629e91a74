// AdamW in one pass per tensor (the tf-ops version reads and writes every moment several times).
#include <cmath>

#include "adamw.h"
#include "thread-pool.h"

namespace tunefleet {

namespace {
constexpr int64_t kElementGrain = 1 << 15;
}  // namespace

void adamw(float* param, const float* grad, float* m, float* v, int64_t size, float weightDecay,
           const AdamWHyper& h) {
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  const float stepSize = static_cast<float>(h.learningRate / bc1);
  const float invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  const float decay = 1.0f - h.learningRate * weightDecay;
  const float b1 = h.beta1, b2 = h.beta2, eps = h.epsilon;
  pool().parallelFor(size, kElementGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const float g = grad[i];
      m[i] = b1 * m[i] + (1.0f - b1) * g;
      v[i] = b2 * v[i] + (1.0f - b2) * g * g;
      // PyTorch's AdamW: decoupled decay first, then the Adam step.
      param[i] = param[i] * decay - stepSize * m[i] / (std::sqrt(v[i]) * invSqrtBc2 + eps);
    }
  });
}

}  // namespace tunefleet
