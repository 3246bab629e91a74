// Dropout keep masks (the same mulberry32 stream as libs/model's JS) and applying them.
#pragma once
#include <cstdint>

namespace tunefleet {

/** keep[i] = 0 where mulberry32(seed)'s i-th uniform draw is < rate, else 1 (same stream as libs/model's JS). */
void keepMask(uint32_t seed, double rate, uint8_t* keep, int64_t size);
/** out = x * (keep ? scale : 0): inverted dropout and its gradient. */
void applyKeepMask(const float* x, const uint8_t* keep, float scale, float* out, int64_t size);

}  // namespace tunefleet
