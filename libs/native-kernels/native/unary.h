// Elementwise unary float32 ops, one kernel switched on the op code.
#pragma once
#include <cstdint>

#include "op-codes.h"

namespace tunefleet {

/** The unary ops by their tfjs kernel names (exported as opCodes.unary; a native kernel each). */
#define TUNEFLEET_UNARY_OPS(X)                                                                              \
  X(Neg, "Neg") X(Exp, "Exp") X(Square, "Square") X(Floor, "Floor") X(Sqrt, "Sqrt") X(Rsqrt, "Rsqrt")       \
  X(Tanh, "Tanh") X(Log, "Log") X(Abs, "Abs") X(Sigmoid, "Sigmoid") X(Relu, "Relu") X(Reciprocal, "Reciprocal") \
  X(Ceil, "Ceil")

enum class UnaryOp : int { TUNEFLEET_UNARY_OPS(TUNEFLEET_OP_ENUM_ENTRY) };
constexpr int kUnaryOpCount = 0 TUNEFLEET_UNARY_OPS(TUNEFLEET_OP_COUNT_ONE);

void unary(UnaryOp op, const float* x, float* out, int64_t size);

}  // namespace tunefleet
