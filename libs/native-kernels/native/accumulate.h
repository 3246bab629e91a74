// Sums of whole arrays: gradient accumulation (addN), the ring all-reduce's reduction (addInto) and
// its zero-block scan (nonzeroBlocks).
#pragma once
#include <cstdint>

namespace tunefleet {

/** out = sum of `count` arrays of `size` floats (gradient accumulation). */
void addN(const float* const* inputs, int count, float* out, int64_t size);
/** target[i] += source[i] (the ring all-reduce's reduction). */
void addInto(float* target, const float* source, int64_t size);
/**
 * Sets bit b of mask (byte b >> 3, bit b & 7) for each block of blockFloats floats holding a word
 * that is not all-zero bits (+0.0); returns how many blocks are set. mask must be zeroed by the caller.
 */
int64_t nonzeroBlocks(const float* values, int64_t size, int64_t blockFloats, uint8_t* mask);

}  // namespace tunefleet
