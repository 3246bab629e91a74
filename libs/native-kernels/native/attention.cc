// Fused multi-head self-attention core: per (batch, head), strided BLAS products straight out of and
// into the row-major [batch * seq, hidden] activations, so no [b, s, h, d] <-> [b, h, s, d] transposes.
#include <algorithm>
#include <cmath>
#include <vector>

#include "fast-math.h"
#include "attention.h"
#include "thread-pool.h"

extern "C" {
#include <cblas.h>
}

namespace tunefleet {

namespace {

/** Rows of `x` [seq, seq] += mask (one additive value per key), then softmax per row, in place. */
TUNEFLEET_VECTOR_CLONES void maskedSoftmaxInPlace(float* x, const float* mask, int64_t seq) {
  for (int64_t r = 0; r < seq; r++) {
    float* row = x + r * seq;
    if (mask != nullptr)
      for (int64_t c = 0; c < seq; c++) row[c] += mask[c];
    float max = -INFINITY;
    for (int64_t c = 0; c < seq; c++) max = std::max(max, row[c]);
    float sum = 0.0f;
    for (int64_t c = 0; c < seq; c++) {
      row[c] = fastExp(row[c] - max);
      sum += row[c];
    }
    const float inv = 1.0f / sum;
    for (int64_t c = 0; c < seq; c++) row[c] *= inv;
  }
}

/** out = probs * keep * dropScale (inverted dropout). */
void applyDropout(const float* probs, const uint8_t* keep, float dropScale, float* out, int64_t size) {
  for (int64_t i = 0; i < size; i++) out[i] = keep[i] != 0 ? probs[i] * dropScale : 0.0f;
}

/** Runs fn(bh, scratch) for every batch*head in parallel (OpenBLAS is single-threaded: see setThreads). */
template <typename Fn>
void forEachHead(const AttentionDims& d, int64_t scratchFloats, const Fn& fn) {
  pool().parallelFor(d.batch * d.heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(scratchFloats));
    for (int64_t bh = begin; bh < end; bh++) fn(bh, scratch.data());
  });
}

}  // namespace

void attention(const AttentionDims& d, const float* q, const float* k, const float* v, const float* mask,
               const uint8_t* keep, float dropScale, float* probs, float* context) {
  const int64_t s = d.seq, hd = d.headDim, ld = d.heads * hd, ldi = d.ldQkv, ss = s * s;
  forEachHead(d, keep != nullptr ? ss : 0, [&](int64_t bh, float* scratch) {
    const int64_t b = bh / d.heads, h = bh % d.heads;
    const int64_t offset = b * s * ld + h * hd;  // first element of this head's [seq, headDim] block of context
    const int64_t in = b * s * ldi + h * hd;     // and of q, k, v
    float* p = probs + bh * ss;
    // scores = scale * q k^T  [seq, seq]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, hd, d.scale, q + in, ldi, k + in, ldi, 0.0f, p, s);
    maskedSoftmaxInPlace(p, mask != nullptr ? mask + b * s : nullptr, s);
    const float* used = p;
    if (keep != nullptr) {
      applyDropout(p, keep + bh * ss, dropScale, scratch, ss);
      used = scratch;
    }
    // context = probs v  [seq, headDim], written into its columns of [batch * seq, hidden]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, hd, s, 1.0f, used, s, v + in, ldi, 0.0f,
                context + offset, ld);
  });
}

void attentionGrad(const AttentionDims& d, const float* dContext, const float* q, const float* k, const float* v,
                   const float* probs, const uint8_t* keep, float dropScale, float* dq, float* dk, float* dv) {
  const int64_t s = d.seq, hd = d.headDim, ld = d.heads * hd, ldi = d.ldQkv, ss = s * s;
  forEachHead(d, 2 * ss, [&](int64_t bh, float* scratch) {
    const int64_t b = bh / d.heads, h = bh % d.heads;
    const int64_t offset = b * s * ld + h * hd;  // this head's block of dContext
    const int64_t in = b * s * ldi + h * hd;     // and of q, k, v, dq, dk, dv
    const float* p = probs + bh * ss;
    const uint8_t* kp = keep != nullptr ? keep + bh * ss : nullptr;
    float* dp = scratch;
    const float* used = p;
    if (kp != nullptr) {
      applyDropout(p, kp, dropScale, scratch + ss, ss);
      used = scratch + ss;
    }
    const float* g = dContext + offset;
    // dv = used^T dContext
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s, hd, s, 1.0f, used, s, g, ld, 0.0f, dv + in, ldi);
    // d(used) = dContext v^T, then through dropout and softmax: ds = p * (dp - rowsum(dp * p))
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, hd, 1.0f, g, ld, v + in, ldi, 0.0f, dp, s);
    for (int64_t r = 0; r < s; r++) {
      float* row = dp + r * s;
      const float* pr = p + r * s;
      if (kp != nullptr) {
        const uint8_t* kr = kp + r * s;
        for (int64_t c = 0; c < s; c++) row[c] = kr[c] != 0 ? row[c] * dropScale : 0.0f;
      }
      float dot = 0.0f;
      for (int64_t c = 0; c < s; c++) dot += row[c] * pr[c];
      for (int64_t c = 0; c < s; c++) row[c] = pr[c] * (row[c] - dot);
    }
    // dq = scale * ds k, dk = scale * ds^T q
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, hd, s, d.scale, dp, s, k + in, ldi, 0.0f, dq + in, ldi);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s, hd, s, d.scale, dp, s, q + in, ldi, 0.0f, dk + in, ldi);
  });
}

}  // namespace tunefleet
