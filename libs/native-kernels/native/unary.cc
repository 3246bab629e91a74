// Elementwise unary ops: the cpu backend's versions of these loop in JS, and Neg goes through its
// broadcasting multiply.
#include <cmath>

#include "unary.h"
#include "thread-pool.h"

namespace tunefleet {

namespace {
constexpr int64_t kElementGrain = 1 << 15;

template <typename F>
void map(const float* x, float* out, int64_t size, F f) {
  pool().parallelFor(size, kElementGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) out[i] = f(x[i]);
  });
}
}  // namespace

void unary(UnaryOp op, const float* x, float* out, int64_t size) {
  switch (op) {
    case UnaryOp::kNeg: return map(x, out, size, [](float v) { return -v; });
    case UnaryOp::kExp: return map(x, out, size, [](float v) { return std::exp(v); });
    case UnaryOp::kSquare: return map(x, out, size, [](float v) { return v * v; });
    case UnaryOp::kFloor: return map(x, out, size, [](float v) { return std::floor(v); });
    case UnaryOp::kSqrt: return map(x, out, size, [](float v) { return std::sqrt(v); });
    case UnaryOp::kRsqrt: return map(x, out, size, [](float v) { return 1.0f / std::sqrt(v); });
    case UnaryOp::kTanh: return map(x, out, size, [](float v) { return std::tanh(v); });
    case UnaryOp::kLog: return map(x, out, size, [](float v) { return std::log(v); });
    case UnaryOp::kAbs: return map(x, out, size, [](float v) { return std::fabs(v); });
    case UnaryOp::kSigmoid: return map(x, out, size, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
    case UnaryOp::kRelu: return map(x, out, size, [](float v) { return v < 0.0f ? 0.0f : v; });
    case UnaryOp::kReciprocal: return map(x, out, size, [](float v) { return 1.0f / v; });
    case UnaryOp::kCeil: return map(x, out, size, [](float v) { return std::ceil(v); });
  }
}

}  // namespace tunefleet
