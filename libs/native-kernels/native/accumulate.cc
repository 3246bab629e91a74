// Whole-array sums: addN (gradient accumulation), addInto and nonzeroBlocks (the ring all-reduce).
#include <algorithm>
#include <cstring>

#include "accumulate.h"
#include "thread-pool.h"

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
