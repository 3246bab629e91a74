// bf16 mixed precision for the matrix products: inputs rounded to bfloat16 (8-bit mantissa), products
// accumulated in float32, results float32. With oneDNN (built in when libdnnl-dev is present) the
// products run on the CPU's bf16 units (AVX512-BF16, AMX); without it, or on a CPU without them, the
// same rounding is emulated (inputs rounded to bf16 values kept as floats, then OpenBLAS sgemm), so
// the numerics match and only the speed-up is missing.
#pragma once
#include <cstdint>
#include <string>

#include "matmul.h"

namespace tunefleet {

/** How matMul computes: float32, bf16 on oneDNN, or bf16 emulated over OpenBLAS. */
enum class Precision : int { kF32 = 0, kBf16 = 1, kBf16Emulated = 2 };

struct Bf16Support {
  bool hasDnnl;     // the addon was built against oneDNN
  bool cpuHasBf16;  // the CPU has AVX512-BF16
  std::string detail;  // oneDNN's version and the kernel it picks (brg:avx512_core_amx uses AMX tiles)
};

Bf16Support bf16Support();
/** Sets the precision of every following matMul; kBf16 falls back to kBf16Emulated when unsupported. Returns the one in use. */
Precision setPrecision(Precision precision);
Precision precision();

/** out[i] = x[i] rounded to the nearest bf16 (ties to even), kept as a float. */
void roundToBf16(const float* x, float* out, int64_t size);
/** matMul (matmul.h) on oneDNN with bf16 inputs and float32 accumulation, bias added (precision kBf16). */
void bf16MatMul(const MatMulArgs& args);
/** args with a and b replaced by bf16-rounded copies, for the float32 products (precision kBf16Emulated). */
MatMulArgs withBf16RoundedInputs(const MatMulArgs& args);

}  // namespace tunefleet
