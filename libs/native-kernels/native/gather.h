// The embedding lookup (GatherV2 as row copies) and its gradient (UnsortedSegmentSum).
#pragma once
#include <cstdint>

namespace tunefleet {

/** x viewed as [outer, dimSize, inner]; out[o, i, :] = x[o, indices[i], :] (indices checked by the caller). */
void gather(const float* x, const int32_t* indices, float* out, int64_t outer, int64_t dimSize, int64_t inner,
            int64_t count);
/** out[numSegments, inner] = sum of the rows of x [rows, inner] per id; ids outside [0, numSegments) are dropped. */
void unsortedSegmentSum(const float* x, const int32_t* ids, int64_t rows, int64_t inner, int64_t numSegments,
                        float* out);

}  // namespace tunefleet
