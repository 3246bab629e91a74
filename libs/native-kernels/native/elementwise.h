// Row-wise and elementwise float32 kernels: softmax, erf, GELU and broadcasting binary ops.
#pragma once
#include <cstdint>

#include "op-codes.h"

namespace tunefleet {

void softmaxRows(const float* x, float* out, int64_t rows, int64_t cols);
void softmaxGradRows(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);
void erf(const float* x, float* out, int64_t size);
void gelu(const float* x, float* out, int64_t size);
void geluGrad(const float* x, const float* dy, float* dx, int64_t size);

/** The broadcasting binary ops by their tfjs kernel names (exported as opCodes.binary). */
#define TUNEFLEET_BINARY_OPS(X) X(Add, "Add") X(Sub, "Sub") X(Mul, "Multiply") X(Div, "RealDiv")

enum class BinaryOp : int { TUNEFLEET_BINARY_OPS(TUNEFLEET_OP_ENUM_ENTRY) };
constexpr int kBinaryOpCount = 0 TUNEFLEET_BINARY_OPS(TUNEFLEET_OP_COUNT_ONE);

/** Broadcasting binary op over rank <= 8 shapes; strides are 0 on broadcast dims. */
void binaryBroadcast(BinaryOp op, const float* a, const float* b, float* out, const int64_t* outShape,
                     const int64_t* aStrides, const int64_t* bStrides, int rank);

}  // namespace tunefleet
