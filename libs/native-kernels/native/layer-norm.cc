#include <algorithm>
#include <cmath>
#include <vector>

#include "layer-norm.h"
#include "thread-pool.h"

namespace tunefleet {

void layerNorm(const float* x, const float* gamma, const float* beta, float* out, float* mean, float* rstd,
               int64_t rows, int64_t cols, float epsilon) {
  addLayerNorm(x, nullptr, nullptr, gamma, beta, out, mean, rstd, rows, cols, epsilon);
}

void addLayerNorm(const float* a, const float* b, float* sumOut, const float* gamma, const float* beta, float* out,
                  float* mean, float* rstd, int64_t rows, int64_t cols, float epsilon) {
  const int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(cols, 1));
  pool().parallelFor(rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = a + r * cols;
      if (b != nullptr) {
        // The residual sum is written once (the backward pass needs it) and normalised from there.
        const float* br = b + r * cols;
        float* sr = sumOut + r * cols;
        for (int64_t c = 0; c < cols; c++) sr[c] = xr[c] + br[c];
        xr = sr;
      }
      double sum = 0.0;
      for (int64_t c = 0; c < cols; c++) sum += xr[c];
      const float mu = static_cast<float>(sum / cols);
      double sq = 0.0;
      for (int64_t c = 0; c < cols; c++) sq += static_cast<double>(xr[c] - mu) * (xr[c] - mu);
      const float rs = 1.0f / std::sqrt(static_cast<float>(sq / cols) + epsilon);
      mean[r] = mu;
      rstd[r] = rs;
      float* yr = out + r * cols;
      for (int64_t c = 0; c < cols; c++) yr[c] = (xr[c] - mu) * rs * gamma[c] + beta[c];
    }
  });
}

void layerNormGrad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                   float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t cols) {
  const int parts = pool().size();
  // Each thread sums its rows' dgamma/dbeta privately; the partial sums are added at the end.
  std::vector<float> partial(static_cast<size_t>(parts) * 2 * cols, 0.0f);
  const int64_t chunk = (rows + parts - 1) / parts;
  pool().parallelFor(parts, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
      float* pg = partial.data() + p * 2 * cols;
      float* pb = pg + cols;
      const int64_t rEnd = std::min(rows, (p + 1) * chunk);
      for (int64_t r = p * chunk; r < rEnd; r++) {
        const float* xr = x + r * cols;
        const float* gr = dy + r * cols;
        const float mu = mean[r], rs = rstd[r];
        float sumG = 0.0f, sumGX = 0.0f;  // sums of g*gamma and g*gamma*xhat
        for (int64_t c = 0; c < cols; c++) {
          const float xhat = (xr[c] - mu) * rs;
          const float gg = gr[c] * gamma[c];
          sumG += gg;
          sumGX += gg * xhat;
          pg[c] += gr[c] * xhat;
          pb[c] += gr[c];
        }
        const float invN = 1.0f / static_cast<float>(cols);
        float* dr = dx + r * cols;
        for (int64_t c = 0; c < cols; c++) {
          const float xhat = (xr[c] - mu) * rs;
          dr[c] = rs * (gr[c] * gamma[c] - invN * sumG - xhat * invN * sumGX);
        }
      }
    }
  });
  for (int64_t c = 0; c < cols; c++) {
    float g = 0.0f, b = 0.0f;
    for (int p = 0; p < parts; p++) {
      g += partial[static_cast<size_t>(p) * 2 * cols + c];
      b += partial[static_cast<size_t>(p) * 2 * cols + cols + c];
    }
    dgamma[c] = g;
    dbeta[c] = b;
  }
}

}  // namespace tunefleet
