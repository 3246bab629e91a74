// Elementwise unary ops and gather: the cpu backend's versions of these loop in JS, and Neg goes
// through its broadcasting multiply.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels.h"
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

void gather(const float* x, const int32_t* indices, float* out, int64_t outer, int64_t dimSize, int64_t inner,
            int64_t count) {
  pool().parallelFor(outer * count, std::max<int64_t>(1, kElementGrain / std::max<int64_t>(inner, 1)),
                     [&](int64_t r0, int64_t r1) {
                       for (int64_t r = r0; r < r1; r++) {
                         const int64_t o = r / count, i = r % count;
                         std::memcpy(out + r * inner, x + (o * dimSize + indices[i]) * inner, sizeof(float) * inner);
                       }
                     });
}

}  // namespace tunefleet

namespace tunefleet {

void addN(const float* const* inputs, int count, float* out, int64_t size) {
  pool().parallelFor(size, 1 << 15, [&](int64_t i0, int64_t i1) {
    if (count == 0) {
      std::fill(out + i0, out + i1, 0.0f);
      return;
    }
    std::memcpy(out + i0, inputs[0] + i0, sizeof(float) * (i1 - i0));
    for (int k = 1; k < count; k++) {
      const float* in = inputs[k];
      for (int64_t i = i0; i < i1; i++) out[i] += in[i];
    }
  });
}

int64_t nonzeroBlocks(const float* values, int64_t size, int64_t blockFloats, uint8_t* mask) {
  const uint32_t* words = reinterpret_cast<const uint32_t*>(values);
  int64_t count = 0;
  for (int64_t b = 0, start = 0; start < size; b++, start += blockFloats) {
    const int64_t end = std::min(size, start + blockFloats);
    uint32_t any = 0;
    for (int64_t i = start; i < end; i++) any |= words[i];
    if (any != 0) {
      mask[b >> 3] |= static_cast<uint8_t>(1u << (b & 7));
      count++;
    }
  }
  return count;
}

void addInto(float* target, const float* source, int64_t size) {
  pool().parallelFor(size, 1 << 16, [&](int64_t i0, int64_t i1) {
    float* __restrict t = target;
    const float* __restrict s = source;
    for (int64_t i = i0; i < i1; i++) t[i] += s[i];
  });
}

}  // namespace tunefleet
