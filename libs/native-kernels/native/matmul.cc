#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels.h"
#include "thread-pool.h"

extern "C" {
#include <cblas.h>
}

namespace tunefleet {

namespace {
int gThreads = 1;

// Below this many multiply-adds per matrix, a batch is split across our threads with OpenBLAS
// single-threaded: OpenBLAS's own threading does not pay on attention-sized matrices.
constexpr int64_t kSmallMatrixMacs = int64_t{1} << 21;
}  // namespace

void setThreads(int threads) {
  gThreads = std::max(1, threads);
  openblas_set_num_threads(gThreads);
  pool().resize(gThreads);
}

int threads() { return gThreads; }

static void gemmOne(const MatMulArgs& p, int64_t i) {
  const int64_t ai = p.aIndex ? p.aIndex[i] : i;
  const int64_t bi = p.bIndex ? p.bIndex[i] : i;
  const float* a = p.a + ai * p.m * p.k;
  const float* b = p.b + bi * p.k * p.n;
  float* c = p.out + i * p.m * p.n;
  float beta = 0.0f;
  if (p.bias != nullptr) {
    for (int64_t r = 0; r < p.m; r++) std::memcpy(c + r * p.n, p.bias, sizeof(float) * p.n);
    beta = 1.0f;
  }
  if (p.k == 0) {
    if (p.bias == nullptr) std::memset(c, 0, sizeof(float) * p.m * p.n);
    return;
  }
  cblas_sgemm(CblasRowMajor, p.transposeA ? CblasTrans : CblasNoTrans, p.transposeB ? CblasTrans : CblasNoTrans,
              static_cast<int>(p.m), static_cast<int>(p.n), static_cast<int>(p.k), 1.0f, a,
              static_cast<int>(p.transposeA ? p.m : p.k), b, static_cast<int>(p.transposeB ? p.k : p.n), beta, c,
              static_cast<int>(p.n));
}

void matMul(const MatMulArgs& p) {
  const bool splitBatch = gThreads > 1 && p.batch >= gThreads && p.m * p.n * p.k < kSmallMatrixMacs;
  if (splitBatch) {
    openblas_set_num_threads(1);
    pool().parallelFor(p.batch, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) gemmOne(p, i);
    });
    openblas_set_num_threads(gThreads);
  } else {
    for (int64_t i = 0; i < p.batch; i++) gemmOne(p, i);
  }
  if (p.activation != Activation::kLinear) activate(p.out, p.batch * p.m * p.n, p.activation, p.alpha);
}

void activate(float* x, int64_t size, Activation activation, float alpha) {
  pool().parallelFor(size, 1 << 15, [&](int64_t begin, int64_t end) {
    switch (activation) {
      case Activation::kLinear:
        break;
      case Activation::kRelu:
        for (int64_t i = begin; i < end; i++) x[i] = x[i] < 0.0f ? 0.0f : x[i];
        break;
      case Activation::kRelu6:
        for (int64_t i = begin; i < end; i++) x[i] = std::min(6.0f, std::max(0.0f, x[i]));
        break;
      case Activation::kSigmoid:
        for (int64_t i = begin; i < end; i++) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
        break;
      case Activation::kLeakyRelu:
        for (int64_t i = begin; i < end; i++) x[i] = x[i] < 0.0f ? alpha * x[i] : x[i];
        break;
      case Activation::kElu:
        for (int64_t i = begin; i < end; i++) x[i] = x[i] < 0.0f ? std::expm1(x[i]) : x[i];
        break;
    }
  });
}

}  // namespace tunefleet
