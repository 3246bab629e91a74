// The fused AdamW update (one pass over a parameter, its gradient and both moments).
#pragma once
#include <cstdint>

namespace tunefleet {

struct AdamWHyper {
  float learningRate, beta1, beta2, epsilon;
  int64_t step;  // 1-based, for bias correction
};

/** One tensor: p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p), Hugging Face/PyTorch AdamW. */
void adamw(float* param, const float* grad, float* m, float* v, int64_t size, float weightDecay,
           const AdamWHyper& hyper);

}  // namespace tunefleet
