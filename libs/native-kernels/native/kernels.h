// Pure C++ kernels over contiguous row-major float32 buffers; addon.cc binds them to JS.
#pragma once
#include <cstdint>

namespace tunefleet {

enum class Activation : int { kLinear = 0, kRelu = 1, kRelu6 = 2, kSigmoid = 3, kLeakyRelu = 4, kElu = 5 };

struct MatMulArgs {
  const float* a;
  const float* b;
  float* out;           // [batch, m, n]
  int64_t batch;        // output matrices
  int64_t m, n, k;
  bool transposeA, transposeB;
  const int32_t* aIndex;  // per output matrix: which matrix of a (null: i)
  const int32_t* bIndex;  // per output matrix: which matrix of b (null: i)
  const float* bias;      // [n] added to every row, or null
  Activation activation;
  float alpha;            // leaky relu slope
};

void setThreads(int threads);
int threads();
void matMul(const MatMulArgs& args);
void activate(float* x, int64_t size, Activation activation, float alpha);

void unsortedSegmentSum(const float* x, const int32_t* ids, int64_t rows, int64_t inner, int64_t numSegments,
                        float* out);
void softmaxRows(const float* x, float* out, int64_t rows, int64_t cols);
void softmaxGradRows(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);
void erf(const float* x, float* out, int64_t size);
void gelu(const float* x, float* out, int64_t size);
void geluGrad(const float* x, const float* dy, float* dx, int64_t size);

void layerNorm(const float* x, const float* gamma, const float* beta, float* out, float* mean, float* rstd,
               int64_t rows, int64_t cols, float epsilon);
/** layerNorm(a + b), writing a + b to `sumOut` (rows x cols) as well; b == nullptr: layerNorm(a), sumOut unused. */
void addLayerNorm(const float* a, const float* b, float* sumOut, const float* gamma, const float* beta, float* out,
                  float* mean, float* rstd, int64_t rows, int64_t cols, float epsilon);
/** dgamma/dbeta are overwritten with the sums over rows. */
void layerNormGrad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                   float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t cols);

/** Broadcasting binary op over rank <= 8 shapes; strides are 0 on broadcast dims. */
enum class BinaryOp : int { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };
void binaryBroadcast(BinaryOp op, const float* a, const float* b, float* out, const int64_t* outShape,
                     const int64_t* aStrides, const int64_t* bStrides, int rank);

struct AdamWHyper {
  float learningRate, beta1, beta2, epsilon;
  int64_t step;  // 1-based, for bias correction
};
/** One tensor: p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p), Hugging Face/PyTorch AdamW. */
void adamw(float* param, const float* grad, float* m, float* v, int64_t size, float weightDecay,
           const AdamWHyper& hyper);

}  // namespace tunefleet

namespace tunefleet {
/** out = x permuted: out dim d is x dim perm[d]. inStrides are x's strides, already permuted. */
void transpose(const float* x, float* out, const int64_t* outShape, const int64_t* permutedInStrides, int rank);
/** x viewed as [outer, reduce, inner]; out[outer, inner] = sum over reduce. */
void reduceSum(const float* x, float* out, int64_t outer, int64_t reduce, int64_t inner, float scale);
}  // namespace tunefleet

namespace tunefleet {
enum class UnaryOp : int {
  kNeg = 0, kExp = 1, kSquare = 2, kFloor = 3, kSqrt = 4, kRsqrt = 5, kTanh = 6, kLog = 7,
  kAbs = 8, kSigmoid = 9, kRelu = 10, kReciprocal = 11, kCeil = 12
};
void unary(UnaryOp op, const float* x, float* out, int64_t size);
/** x viewed as [outer, dimSize, inner]; out[o, i, :] = x[o, indices[i], :] (indices checked by the caller). */
void gather(const float* x, const int32_t* indices, float* out, int64_t outer, int64_t dimSize, int64_t inner,
            int64_t count);
}  // namespace tunefleet

namespace tunefleet {
/** out = sum of `count` arrays of `size` floats (gradient accumulation). */
void addN(const float* const* inputs, int count, float* out, int64_t size);
// target[i] += source[i] (the ring all-reduce's reduction).
void addInto(float* target, const float* source, int64_t size);
// Sets bit b of mask (byte b >> 3, bit b & 7) for each block of blockFloats floats holding a word
// that is not all-zero bits (+0.0); returns how many blocks are set. mask must be zeroed by the caller.
int64_t nonzeroBlocks(const float* values, int64_t size, int64_t blockFloats, uint8_t* mask);
}  // namespace tunefleet

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

namespace tunefleet {
/** keep[i] = 0 where mulberry32(seed)'s i-th uniform draw is < rate, else 1 (same stream as libs/model's JS). */
void keepMask(uint32_t seed, double rate, uint8_t* keep, int64_t size);
/** out = x * (keep ? scale : 0): inverted dropout and its gradient. */
void applyKeepMask(const float* x, const uint8_t* keep, float scale, float* out, int64_t size);
}  // namespace tunefleet
