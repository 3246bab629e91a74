// Data movement and reductions: transpose and sum over a contiguous block of axes.
#include <algorithm>
#include <cstring>

#include "layout.h"
#include "thread-pool.h"

namespace tunefleet {

namespace {
constexpr int64_t kElementGrain = 1 << 15;
constexpr int64_t kTile = 32;

// Swapping the last two dims of a [rows, cols] block: tiles keep both sides in cache.
void transposeTile(const float* x, float* out, int64_t rows, int64_t cols, int64_t r0, int64_t r1) {
  for (int64_t rt = r0; rt < r1; rt += kTile) {
    for (int64_t ct = 0; ct < cols; ct += kTile) {
      const int64_t rEnd = std::min(r1, rt + kTile), cEnd = std::min(cols, ct + kTile);
      for (int64_t c = ct; c < cEnd; c++)
        for (int64_t r = rt; r < rEnd; r++) out[c * rows + r] = x[r * cols + c];
    }
  }
}
}  // namespace

void transpose(const float* x, float* out, const int64_t* outShape, const int64_t* inStrides, int rank) {
  int64_t size = 1;
  for (int d = 0; d < rank; d++) size *= outShape[d];
  if (size == 0) return;
  if (rank == 2 && inStrides[1] != 1) {
    // Plain matrix transpose: x is [outShape[1], outShape[0]].
    const int64_t rows = outShape[1], cols = outShape[0];
    pool().parallelFor(rows, std::max<int64_t>(kTile, kElementGrain / std::max<int64_t>(cols, 1)),
                       [&](int64_t r0, int64_t r1) { transposeTile(x, out, rows, cols, r0, r1); });
    return;
  }
  const int64_t cols = outShape[rank - 1];
  const int64_t colStride = inStrides[rank - 1];
  const int64_t rows = size / cols;
  pool().parallelFor(rows, std::max<int64_t>(1, kElementGrain / cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t off = 0, rest = r;
      for (int d = rank - 2; d >= 0; d--) {
        off += (rest % outShape[d]) * inStrides[d];
        rest /= outShape[d];
      }
      float* o = out + r * cols;
      const float* src = x + off;
      if (colStride == 1) {
        std::memcpy(o, src, sizeof(float) * cols);
      } else {
        for (int64_t c = 0; c < cols; c++) o[c] = src[c * colStride];
      }
    }
  });
}

void reduceSum(const float* x, float* out, int64_t outer, int64_t reduce, int64_t inner, float scale) {
  if (inner == 1) {
    pool().parallelFor(outer, std::max<int64_t>(1, kElementGrain / std::max<int64_t>(reduce, 1)),
                       [&](int64_t o0, int64_t o1) {
                         for (int64_t o = o0; o < o1; o++) {
                           const float* row = x + o * reduce;
                           double sum = 0.0;
                           for (int64_t r = 0; r < reduce; r++) sum += row[r];
                           out[o] = static_cast<float>(sum) * scale;
                         }
                       });
    return;
  }
  // Columns: split over outer*inner output elements in runs of whole inner blocks where possible.
  const int64_t total = outer * inner;
  pool().parallelFor(total, std::max<int64_t>(64, kElementGrain / std::max<int64_t>(reduce, 1)),
                     [&](int64_t e0, int64_t e1) {
                       int64_t e = e0;
                       while (e < e1) {
                         const int64_t o = e / inner, i0 = e % inner;
                         const int64_t i1 = std::min(inner, i0 + (e1 - e));
                         float* dst = out + o * inner;
                         std::fill(dst + i0, dst + i1, 0.0f);
                         const float* base = x + o * reduce * inner;
                         for (int64_t r = 0; r < reduce; r++) {
                           const float* src = base + r * inner;
                           for (int64_t i = i0; i < i1; i++) dst[i] += src[i];
                         }
                         if (scale != 1.0f)
                           for (int64_t i = i0; i < i1; i++) dst[i] *= scale;
                         e += i1 - i0;
                       }
                     });
}

}  // namespace tunefleet
