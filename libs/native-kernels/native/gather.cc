// The embedding lookup and its gradient: GatherV2 as row copies and UnsortedSegmentSum split over
// columns (the cpu backend loops over every vocabulary row for each segment).
#include <algorithm>
#include <cstring>

#include "gather.h"
#include "thread-pool.h"

namespace tunefleet {

namespace {
constexpr int64_t kElementGrain = 1 << 15;
}  // namespace

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

void unsortedSegmentSum(const float* x, const int32_t* ids, int64_t rows, int64_t inner, int64_t numSegments,
                        float* out) {
  std::memset(out, 0, sizeof(float) * numSegments * inner);
  // Split over columns so threads never write the same element, whatever the ids.
  pool().parallelFor(inner, std::max<int64_t>(16, kElementGrain / std::max<int64_t>(rows, 1)),
                     [&](int64_t c0, int64_t c1) {
                       for (int64_t r = 0; r < rows; r++) {
                         const int64_t s = ids[r];
                         if (s < 0 || s >= numSegments) continue;  // dropped, as TensorFlow does
                         const float* src = x + r * inner;
                         float* dst = out + s * inner;
                         for (int64_t c = c0; c < c1; c++) dst[c] += src[c];
                       }
                     });
}

}  // namespace tunefleet
