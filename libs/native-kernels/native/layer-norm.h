// LayerNorm forward (optionally fused with the residual add) and backward over rows.
#pragma once
#include <cstdint>

namespace tunefleet {

void layerNorm(const float* x, const float* gamma, const float* beta, float* out, float* mean, float* rstd,
               int64_t rows, int64_t cols, float epsilon);
/** layerNorm(a + b), writing a + b to `sumOut` (rows x cols) as well; b == nullptr: layerNorm(a), sumOut unused. */
void addLayerNorm(const float* a, const float* b, float* sumOut, const float* gamma, const float* beta, float* out,
                  float* mean, float* rstd, int64_t rows, int64_t cols, float epsilon);
/** dgamma/dbeta are overwritten with the sums over rows. */
void layerNormGrad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                   float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t cols);

}  // namespace tunefleet
