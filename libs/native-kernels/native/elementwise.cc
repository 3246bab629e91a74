// Row-wise and elementwise kernels: softmax, erf, GELU (vectorised fast-math) and broadcasting binary ops.
#include <algorithm>
#include <cmath>

#include "fast-math.h"
#include "elementwise.h"
#include "thread-pool.h"

namespace tunefleet {

namespace {
constexpr int64_t kElementGrain = 1 << 15;  // elements per thread below which threads do not pay

// Rows per thread for row-wise kernels: aim for ~kElementGrain elements each.
int64_t rowGrain(int64_t cols) { return std::max<int64_t>(1, kElementGrain / std::max<int64_t>(cols, 1)); }
}  // namespace

void softmaxRows(const float* x, float* out, int64_t rows, int64_t cols) {
  pool().parallelFor(rows, rowGrain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* yr = out + r * cols;
      float max = -INFINITY;
      for (int64_t c = 0; c < cols; c++) max = std::max(max, xr[c]);
      float sum = 0.0f;
      for (int64_t c = 0; c < cols; c++) {
        yr[c] = std::exp(xr[c] - max);
        sum += yr[c];
      }
      const float inv = 1.0f / sum;
      for (int64_t c = 0; c < cols; c++) yr[c] *= inv;
    }
  });
}

void softmaxGradRows(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  pool().parallelFor(rows, rowGrain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* yr = y + r * cols;
      const float* gr = dy + r * cols;
      float dot = 0.0f;
      for (int64_t c = 0; c < cols; c++) dot += yr[c] * gr[c];
      float* out = dx + r * cols;
      for (int64_t c = 0; c < cols; c++) out[c] = yr[c] * (gr[c] - dot);
    }
  });
}

void erf(const float* x, float* out, int64_t size) {
  pool().parallelFor(size, kElementGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) out[i] = std::erf(x[i]);
  });
}

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

TUNEFLEET_VECTOR_CLONES void geluRange(const float* x, float* out, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) out[i] = 0.5f * x[i] * (1.0f + fastErf(x[i] * kInvSqrt2));
}

TUNEFLEET_VECTOR_CLONES void geluGradRange(const float* x, const float* dy, float* dx, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) {
    const float cdf = 0.5f * (1.0f + fastErf(x[i] * kInvSqrt2));
    const float pdf = kInvSqrt2Pi * fastExp(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  }
}
}  // namespace

void gelu(const float* x, float* out, int64_t size) {
  pool().parallelFor(size, kElementGrain, [&](int64_t i0, int64_t i1) { geluRange(x, out, i0, i1); });
}

void geluGrad(const float* x, const float* dy, float* dx, int64_t size) {
  pool().parallelFor(size, kElementGrain, [&](int64_t i0, int64_t i1) { geluGradRange(x, dy, dx, i0, i1); });
}

namespace {
// One output row. The stride-1 / stride-0 cases are instantiated separately so the compiler
// vectorises them: same-shape, scalar and row-vector broadcasts are almost every call in BERT.
template <typename Op, int AS, int BS>
inline void binaryRow(Op op, const float* a, const float* b, float* o, int64_t cols, int64_t as, int64_t bs) {
  if constexpr (AS >= 0 && BS >= 0) {
    for (int64_t c = 0; c < cols; c++) o[c] = op(a[c * AS], b[c * BS]);
  } else {
    for (int64_t c = 0; c < cols; c++) o[c] = op(a[c * as], b[c * bs]);
  }
}

template <typename Op>
void binaryRows(Op op, const float* a, const float* b, float* out, const int64_t* outShape, const int64_t* aStrides,
                const int64_t* bStrides, int rank) {
  const int64_t cols = rank == 0 ? 1 : outShape[rank - 1];
  int64_t rows = 1;
  for (int d = 0; d + 1 < rank; d++) rows *= outShape[d];
  const int64_t as = rank == 0 ? 0 : aStrides[rank - 1];
  const int64_t bs = rank == 0 ? 0 : bStrides[rank - 1];
  pool().parallelFor(rows, rowGrain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t aOff = 0, bOff = 0, rest = r;
      for (int d = rank - 2; d >= 0; d--) {
        const int64_t idx = rest % outShape[d];
        rest /= outShape[d];
        aOff += idx * aStrides[d];
        bOff += idx * bStrides[d];
      }
      const float* ar = a + aOff;
      const float* br = b + bOff;
      float* o = out + r * cols;
      if (as == 1 && bs == 1) binaryRow<Op, 1, 1>(op, ar, br, o, cols, as, bs);
      else if (as == 1 && bs == 0) binaryRow<Op, 1, 0>(op, ar, br, o, cols, as, bs);
      else if (as == 0 && bs == 1) binaryRow<Op, 0, 1>(op, ar, br, o, cols, as, bs);
      else binaryRow<Op, -1, -1>(op, ar, br, o, cols, as, bs);
    }
  });
}
}  // namespace

void binaryBroadcast(BinaryOp op, const float* a, const float* b, float* out, const int64_t* outShape,
                     const int64_t* aStrides, const int64_t* bStrides, int rank) {
  // Collapse a same-shape (both contiguous) op into one long row, so it splits evenly across threads.
  int64_t size = 1;
  bool contiguous = true;
  for (int d = rank - 1; d >= 0; d--) {
    if (aStrides[d] != size || bStrides[d] != size) contiguous = false;
    size *= outShape[d];
  }
  int64_t flatShape[1] = {size}, unit[1] = {1};
  if (contiguous && rank > 1) {
    outShape = flatShape;
    aStrides = unit;
    bStrides = unit;
    rank = 1;
  }
  if (rank == 1 && (aStrides[0] <= 1 && bStrides[0] <= 1)) {
    // One long row: split it by elements instead of rows.
    const int64_t as = aStrides[0], bs = bStrides[0];
    auto run = [&](auto f) {
      pool().parallelFor(size, kElementGrain, [&](int64_t i0, int64_t i1) {
        int64_t len = i1 - i0;
        const float* ap = a + i0 * as;
        const float* bp = b + i0 * bs;
        if (as == 1 && bs == 1) binaryRow<decltype(f), 1, 1>(f, ap, bp, out + i0, len, 1, 1);
        else if (as == 1) binaryRow<decltype(f), 1, 0>(f, ap, bp, out + i0, len, 1, 0);
        else if (bs == 1) binaryRow<decltype(f), 0, 1>(f, ap, bp, out + i0, len, 0, 1);
        else binaryRow<decltype(f), 0, 0>(f, ap, bp, out + i0, len, 0, 0);
      });
    };
    switch (op) {
      case BinaryOp::kAdd: return run([](float x, float y) { return x + y; });
      case BinaryOp::kSub: return run([](float x, float y) { return x - y; });
      case BinaryOp::kMul: return run([](float x, float y) { return x * y; });
      case BinaryOp::kDiv: return run([](float x, float y) { return x / y; });
    }
  }
  switch (op) {
    case BinaryOp::kAdd: return binaryRows([](float x, float y) { return x + y; }, a, b, out, outShape, aStrides, bStrides, rank);
    case BinaryOp::kSub: return binaryRows([](float x, float y) { return x - y; }, a, b, out, outShape, aStrides, bStrides, rank);
    case BinaryOp::kMul: return binaryRows([](float x, float y) { return x * y; }, a, b, out, outShape, aStrides, bStrides, rank);
    case BinaryOp::kDiv: return binaryRows([](float x, float y) { return x / y; }, a, b, out, outShape, aStrides, bStrides, rank);
  }
}

}  // namespace tunefleet
