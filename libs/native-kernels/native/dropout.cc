// Dropout on the host: the keep mask from mulberry32 (bit for bit the stream libs/model draws in JS),
// and applying a mask, so neither a float mask nor a JS loop per element is needed.
#include <cmath>
#include <cstdint>

#include "fast-math.h"
#include "dropout.h"
#include "thread-pool.h"

namespace tunefleet {

namespace {
constexpr int64_t kGrain = 1 << 16;

/** mulberry32's i-th output (0-based) for `seed`: its state is seed + (i + 1) * 0x6d2b79f5. */
inline uint32_t mulberry32At(uint32_t seed, int64_t i) {
  uint32_t t = seed + static_cast<uint32_t>(i + 1) * 0x6d2b79f5u;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return t ^ (t >> 14);
}

TUNEFLEET_VECTOR_CLONES void keepRange(uint32_t seed, uint64_t threshold, uint8_t* keep, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) keep[i] = static_cast<uint64_t>(mulberry32At(seed, i)) < threshold ? 0 : 1;
}
}  // namespace

void keepMask(uint32_t seed, double rate, uint8_t* keep, int64_t size) {
  // JS drops when u / 2^32 < rate, i.e. u < rate * 2^32 (exact in double), i.e. for an integer u,
  // u < ceil(rate * 2^32): the same decision in integer arithmetic, which vectorises.
  const double scaled = std::fmin(std::fmax(rate, 0.0), 1.0) * 4294967296.0;
  const uint64_t threshold = static_cast<uint64_t>(std::ceil(scaled));
  pool().parallelFor(size, kGrain, [&](int64_t i0, int64_t i1) { keepRange(seed, threshold, keep, i0, i1); });
}

void applyKeepMask(const float* x, const uint8_t* keep, float scale, float* out, int64_t size) {
  pool().parallelFor(size, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) out[i] = x[i] * (keep[i] != 0 ? scale : 0.0f);
  });
}

}  // namespace tunefleet
