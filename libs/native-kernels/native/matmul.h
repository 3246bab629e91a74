// Matrix products over OpenBLAS (single-threaded inside; split across our own pool), with the bias
// and activation of tfjs's _FusedMatMul applied in place, and the thread count every kernel uses.
#pragma once
#include <cstdint>

#include "op-codes.h"

namespace tunefleet {

/** The fused activations by their tfjs names (exported as opCodes.activation). */
#define TUNEFLEET_ACTIVATIONS(X) \
  X(Linear, "linear") X(Relu, "relu") X(Relu6, "relu6") X(Sigmoid, "sigmoid") X(LeakyRelu, "leakyrelu") X(Elu, "elu")

enum class Activation : int { TUNEFLEET_ACTIVATIONS(TUNEFLEET_OP_ENUM_ENTRY) };
constexpr int kActivationCount = 0 TUNEFLEET_ACTIVATIONS(TUNEFLEET_OP_COUNT_ONE);

struct MatMulArgs {
  const float* a;
  const float* b;
  float* out;           // [batch, m, n]
  int64_t batch;        // output matrices
  int64_t m, n, k;
  bool transposeA, transposeB;
  const int32_t* aIndex;  // per output matrix: which matrix of a (null: i)
  const int32_t* bIndex;  // per output matrix: which matrix of b (null: i)
  int64_t aMatrices, bMatrices;  // matrices a and b hold (0: batch)
  const float* bias;      // [n] added to every row, or null
  Activation activation;
  float alpha;            // leaky relu slope
};

/** Threads of every native kernel, BLAS products included (OpenBLAS itself stays single-threaded). */
void setThreads(int threads);
int threads();
void matMul(const MatMulArgs& args);
void activate(float* x, int64_t size, Activation activation, float alpha);

}  // namespace tunefleet
