#include <algorithm>
#include <cmath>
#include <cstring>

#include "bf16.h"
#include "matmul.h"
#include "thread-pool.h"

extern "C" {
#include <cblas.h>
}

namespace tunefleet {

namespace {
int gThreads = 1;

// Below this many multiply-adds per matrix, a batch is split across our threads whole.
constexpr int64_t kSmallMatrixMacs = int64_t{1} << 21;
// Output rows (or columns) per thread below which splitting one matrix does not pay.
constexpr int64_t kMinSplit = 64;
}  // namespace

// OpenBLAS always runs single-threaded in the calling thread; every parallel split is ours (one
// matrix into row or column blocks, or a batch into whole matrices). So exactly `threads` threads
// ever run: OpenBLAS's own workers, which spin for a while after each call, would otherwise compete
// with the elementwise kernels' threads for the same cores.
void setThreads(int threads) {
  gThreads = std::max(1, threads);
  openblas_set_num_threads(1);
  pool().resize(gThreads);
}

int threads() { return gThreads; }

// Output block rows [r0, r1) x columns [c0, c1) of matrix i (bias and leading dimensions of the whole matrix).
static void gemmBlock(const MatMulArgs& p, int64_t i, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  const int64_t ai = p.aIndex ? p.aIndex[i] : i;
  const int64_t bi = p.bIndex ? p.bIndex[i] : i;
  const int64_t lda = p.transposeA ? p.m : p.k, ldb = p.transposeB ? p.k : p.n;
  // Row r of op(a) starts at a[r * lda] (no transpose) or a[r] (transpose); column c of op(b) likewise.
  const float* a = p.a + ai * p.m * p.k + (p.transposeA ? r0 : r0 * lda);
  const float* b = p.b + bi * p.k * p.n + (p.transposeB ? c0 * ldb : c0);
  float* c = p.out + i * p.m * p.n + r0 * p.n + c0;
  const int64_t rows = r1 - r0, cols = c1 - c0;
  if (rows <= 0 || cols <= 0) return;
  float beta = 0.0f;
  if (p.bias != nullptr) {
    for (int64_t r = 0; r < rows; r++) std::memcpy(c + r * p.n, p.bias + c0, sizeof(float) * cols);
    beta = 1.0f;
  }
  if (p.k == 0) {
    if (p.bias == nullptr)
      for (int64_t r = 0; r < rows; r++) std::memset(c + r * p.n, 0, sizeof(float) * cols);
    return;
  }
  cblas_sgemm(CblasRowMajor, p.transposeA ? CblasTrans : CblasNoTrans, p.transposeB ? CblasTrans : CblasNoTrans,
              static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(p.k), 1.0f, a, static_cast<int>(lda), b,
              static_cast<int>(ldb), beta, c, static_cast<int>(p.n));
}

void matMul(const MatMulArgs& args) {
  MatMulArgs p = args;
  // bf16 (bf16.h): on oneDNN, or emulated by rounding the inputs for the float32 products below.
  if (precision() != Precision::kF32 && p.m > 0 && p.n > 0 && p.k > 0) {
    if (precision() == Precision::kBf16) {
      bf16MatMul(p);  // bias added there; the activation below
      if (p.activation != Activation::kLinear) activate(p.out, p.batch * p.m * p.n, p.activation, p.alpha);
      return;
    }
    p = withBf16RoundedInputs(args);
  }
  const int threadCount = pool().size();
  const bool isSmall = p.m * p.n * p.k < kSmallMatrixMacs;
  if (threadCount > 1 && p.batch >= threadCount && (isSmall || p.batch % threadCount == 0)) {
    pool().parallelFor(p.batch, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) gemmBlock(p, i, 0, p.m, 0, p.n);
    });
  } else if (threadCount > 1 && !isSmall && std::max(p.m, p.n) >= 2 * kMinSplit) {
    // One large matrix at a time, split along its longer output side into one block per thread.
    const bool byRows = p.m >= p.n;
    const int64_t extent = byRows ? p.m : p.n;
    const int64_t parts = std::min<int64_t>(threadCount, extent / kMinSplit);
    // Blocks of a multiple of 16 rows/columns keep the kernels' vector tiles whole.
    const int64_t block = ((extent + parts - 1) / parts + 15) / 16 * 16;
    for (int64_t i = 0; i < p.batch; i++) {
      pool().parallelFor(parts, 1, [&](int64_t q0, int64_t q1) {
        for (int64_t q = q0; q < q1; q++) {
          const int64_t lo = std::min(extent, q * block), hi = std::min(extent, (q + 1) * block);
          if (byRows) gemmBlock(p, i, lo, hi, 0, p.n);
          else gemmBlock(p, i, 0, p.m, lo, hi);
        }
      });
    }
  } else {
    for (int64_t i = 0; i < p.batch; i++) gemmBlock(p, i, 0, p.m, 0, p.n);
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
