// Fused multi-head self-attention core, forward and backward.
#pragma once
#include <cstdint>

namespace tunefleet {

/** Multi-head self-attention shapes: q, k, v and context are [batch * seq, heads * headDim] row-major. */
struct AttentionDims {
  int64_t batch, seq, heads, headDim;
  float scale;  // applied to q k^T (1 / sqrt(headDim) in BERT)
  /** Row stride of q, k, v, dq, dk, dv: heads * headDim, or 3 * that when they are columns of one [rows, 3 * hidden] buffer. */
  int64_t ldQkv;
};
/**
 * probs [batch, heads, seq, seq] = softmax(scale * q k^T + mask[b]) (mask: [batch, seq] additive, or null);
 * context = dropout(probs) v, dropout = keep [batch, heads, seq, seq] (0/1) * dropScale, or none when keep is null.
 */
void attention(const AttentionDims& d, const float* q, const float* k, const float* v, const float* mask,
               const uint8_t* keep, float dropScale, float* probs, float* context);
/** Gradients of attention() w.r.t. q, k and v from the saved probs (pre-dropout) and keep mask. */
void attentionGrad(const AttentionDims& d, const float* dContext, const float* q, const float* k, const float* v,
                   const float* probs, const uint8_t* keep, float dropScale, float* dq, float* dk, float* dv);

}  // namespace tunefleet
