// Branch-free float exp and erf that the compiler vectorises (std::exp/std::erf are scalar calls),
// and a target_clones attribute so hot loops get AVX2/AVX-512 versions picked at load time while
// the addon still runs on any x86-64 (other architectures get the plain build).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TUNEFLEET_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TUNEFLEET_VECTOR_CLONES
#endif

namespace tunefleet {

/** e^x within ~2 ulp (Cephes expf): 2^n * poly(r), x = n ln2 + r. Exactly 0 below -87.3. */
inline float fastExp(float x) {
  // Ternaries, not std::fmin/fmax: those are library calls (NaN rules) that stop vectorisation.
  const float low = x < -87.3f ? -87.3f : x;
  const float clamped = low > 88.7f ? 88.7f : low;
  const float n = std::floor(clamped * 1.44269504088896341f + 0.5f);
  const float r = clamped - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return x < -87.3f ? 0.0f : p * scale;
}

/** erf(x) within 1.5e-7 absolute (Abramowitz & Stegun 7.1.26, as PyTorch's vectorised erf). */
inline float fastErf(float x) {
  const float ax = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float y = 1.0f - p * t * fastExp(-ax * ax);
  return std::copysign(y, x);
}

}  // namespace tunefleet
