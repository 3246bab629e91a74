// Data movement and reductions: transpose and sum over a contiguous block of axes.
#pragma once
#include <cstdint>

namespace tunefleet {

/** out = x permuted: out dim d is x dim perm[d]. inStrides are x's strides, already permuted. */
void transpose(const float* x, float* out, const int64_t* outShape, const int64_t* permutedInStrides, int rank);
/** x viewed as [outer, reduce, inner]; out[outer, inner] = sum over reduce. */
void reduceSum(const float* x, float* out, int64_t outer, int64_t reduce, int64_t inner, float scale);

}  // namespace tunefleet
