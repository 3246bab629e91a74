#include "bf16.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "thread-pool.h"

extern "C" {
#include <cblas.h>
}

#ifdef TUNEFLEET_HAVE_DNNL
#include <immintrin.h>
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace tunefleet {

namespace {

Precision gPrecision = Precision::kF32;

// Output rows (or columns) per thread below which splitting one matrix does not pay.
constexpr int64_t kMinSplit = 32;

inline uint16_t toBf16Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);  // round to nearest, ties to even
  return static_cast<uint16_t>(bits >> 16);
}

inline float bf16BitsToFloat(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

/** Whether the CPU has AVX512-BF16 (set with the precision): the conversions below then use its instructions. */
bool gHasBf16Instructions = false;

#ifdef TUNEFLEET_HAVE_DNNL

/** dst[i] = bf16(src[i]) for i in [0, size) with AVX512-BF16's conversion (round to nearest, ties to even). */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void convertRunBf16(const float* src, int64_t size, uint16_t* dst) {
  int64_t i = 0;
  for (; i + 16 <= size; i += 16) {
    const __m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), reinterpret_cast<const __m256i&>(h));
  }
  for (; i < size; i++) dst[i] = toBf16Bits(src[i]);
}

inline void convertRun(const float* src, int64_t size, uint16_t* dst) {
  if (gHasBf16Instructions) return convertRunBf16(src, size, dst);
  for (int64_t i = 0; i < size; i++) dst[i] = toBf16Bits(src[i]);
}

/** dst = bf16(src), same layout, in parallel. */
void convertAll(const float* src, int64_t size, uint16_t* dst) {
  pool().parallelFor(size, 1 << 14, [&](int64_t begin, int64_t end) { convertRun(src + begin, end - begin, dst + begin); });
}

/**
 * `count` row-major [k, n] matrices of src as bf16 column panels: panel q (columns [q * width, ...))
 * is a dense [k, w_q] matrix at dst + matrix * k * n + k * q * width, so each thread's product reads
 * a dense block.
 */
void convertPanels(const float* src, int64_t count, int64_t k, int64_t n, int64_t width, uint16_t* dst) {
  pool().parallelFor(count * k, 64, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; row++) {
      const int64_t mat = row / k, kk = row % k;
      const float* in = src + mat * k * n + kk * n;
      uint16_t* base = dst + mat * k * n;
      for (int64_t c0 = 0; c0 < n; c0 += width) {
        const int64_t w = std::min(width, n - c0);
        convertRun(in + c0, w, base + k * c0 + kk * w);
      }
    }
  });
}

/** oneDNN's OpenMP runtime stays at one thread in every thread that calls it (see dnnlGemm). */
void holdOpenMpAtOneThread() {
  static thread_local bool isHeld = (omp_set_num_threads(1), true);
  (void)isHeld;
}

dnnl::engine& engine() {
  static dnnl::engine instance(dnnl::engine::kind::cpu, 0);
  return instance;
}

struct Gemm {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul primitive;
  size_t scratchpadBytes;
};

std::mutex gCacheMutex;
std::map<std::tuple<int64_t, int64_t, int64_t, bool, bool>, Gemm> gCache;

/**
 * A dense bf16 [m, k] x [k, n] -> f32 [m, n] product (row-major; a transposed operand is stored
 * the other way round, format "ba"), created once per shape.
 */
const Gemm& gemmFor(int64_t m, int64_t n, int64_t k, bool transposeA, bool transposeB) {
  holdOpenMpAtOneThread();
  std::lock_guard<std::mutex> lock(gCacheMutex);
  const auto key = std::make_tuple(m, n, k, transposeA, transposeB);
  auto found = gCache.find(key);
  if (found != gCache.end()) return found->second;
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  const dnnl::memory::desc a({m, k}, dt::bf16, transposeA ? tag::ba : tag::ab), b({k, n}, dt::bf16, transposeB ? tag::ba : tag::ab),
      c({m, n}, dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), attr, engine());
  Gemm gemm{pd, dnnl::matmul(pd), pd.scratchpad_desc().get_size()};
  return gCache.emplace(key, std::move(gemm)).first->second;
}

/**
 * c [m, n] = op(a) op(b) on oneDNN, in the calling thread: every parallel split is ours (as for
 * OpenBLAS), so oneDNN's OpenMP runtime is held at one thread in each thread that calls it.
 */
void dnnlGemm(const uint16_t* a, bool transposeA, const uint16_t* b, bool transposeB, float* c, int64_t m, int64_t n, int64_t k) {
  const Gemm& gemm = gemmFor(m, n, k, transposeA, transposeB);
  static thread_local dnnl::stream stream(engine());
  static thread_local std::vector<uint8_t> scratchpad;
  if (scratchpad.size() < gemm.scratchpadBytes) scratchpad.resize(gemm.scratchpadBytes);
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  dnnl::memory am({{m, k}, dt::bf16, transposeA ? tag::ba : tag::ab}, engine(), const_cast<uint16_t*>(a));
  dnnl::memory bm({{k, n}, dt::bf16, transposeB ? tag::ba : tag::ab}, engine(), const_cast<uint16_t*>(b));
  dnnl::memory cm({{m, n}, dt::f32, tag::ab}, engine(), c);
  dnnl::memory sm({{static_cast<int64_t>(gemm.scratchpadBytes)}, dt::u8, tag::a}, engine(), scratchpad.data());
  gemm.primitive.execute(stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}, {DNNL_ARG_SCRATCHPAD, sm}});
  stream.wait();
}

void addBias(float* c, int64_t rows, int64_t cols, int64_t ldc, const float* bias) {
  if (bias == nullptr) return;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < cols; j++) c[r * ldc + j] += bias[j];
}

/**
 * The products on oneDNN. Inputs are converted to bf16 in their own layout (a transposed operand is
 * a "ba" matrix to oneDNN), and every product reads and writes dense blocks, which is what its AMX
 * and AVX512-BF16 kernels take. Split across our threads: a batch by whole matrices; one matrix by
 * output rows (op(a) not transposed: a row block of a is dense) or else by output columns (b's
 * columns as dense panels, each thread's result through a dense scratch block).
 */
void dnnlMatMul(const MatMulArgs& p) {
  // Only the JS main thread calls matMul, so one pair of conversion buffers serves every call.
  static std::vector<uint16_t> aBuf, bBuf;
  const int64_t aMats = p.aMatrices > 0 ? p.aMatrices : p.batch, bMats = p.bMatrices > 0 ? p.bMatrices : p.batch;
  const int64_t mk = p.m * p.k, kn = p.k * p.n, mn = p.m * p.n;
  aBuf.resize(static_cast<size_t>(aMats * mk));
  bBuf.resize(static_cast<size_t>(bMats * kn));
  const int threadCount = pool().size();
  const bool byBatch = threadCount == 1 || p.batch >= threadCount;
  const bool byRows = !byBatch && !p.transposeA && p.m >= 2 * kMinSplit;
  const bool byCols = !byBatch && !byRows && p.n >= 2 * kMinSplit;
  const int64_t parts = byRows ? std::min<int64_t>(threadCount, p.m / kMinSplit) : byCols ? std::min<int64_t>(threadCount, p.n / kMinSplit) : 1;
  const int64_t extent = byRows ? p.m : p.n;
  const int64_t step = ((extent + parts - 1) / parts + 15) / 16 * 16;  // rows or columns per part
  const bool isPaneled = byCols && !p.transposeB;
  convertAll(p.a, aMats * mk, aBuf.data());
  if (isPaneled) convertPanels(p.b, bMats, p.k, p.n, step, bBuf.data());
  else convertAll(p.b, bMats * kn, bBuf.data());
  const uint16_t* a = aBuf.data();
  const uint16_t* b = bBuf.data();
  auto matrixA = [&](int64_t i) { return a + (p.aIndex ? p.aIndex[i] : i) * mk; };
  auto matrixB = [&](int64_t i) { return b + (p.bIndex ? p.bIndex[i] : i) * kn; };
  if (byBatch || parts < 2) {
    pool().parallelFor(p.batch, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) {
        float* c = p.out + i * mn;
        dnnlGemm(matrixA(i), p.transposeA, matrixB(i), p.transposeB, c, p.m, p.n, p.k);
        addBias(c, p.m, p.n, p.n, p.bias);
      }
    });
    return;
  }
  for (int64_t i = 0; i < p.batch; i++) {
    pool().parallelFor(parts, 1, [&](int64_t q0, int64_t q1) {
      for (int64_t q = q0; q < q1; q++) {
        const int64_t lo = std::min(extent, q * step), hi = std::min(extent, (q + 1) * step);
        if (hi <= lo) continue;
        if (byRows) {
          float* c = p.out + i * mn + lo * p.n;
          dnnlGemm(matrixA(i) + lo * p.k, false, matrixB(i), p.transposeB, c, hi - lo, p.n, p.k);
          addBias(c, hi - lo, p.n, p.n, p.bias);
          continue;
        }
        // Columns [lo, hi): b's block is rows lo.. of a transposed b, or panel q.
        const uint16_t* block = matrixB(i) + p.k * lo;
        static thread_local std::vector<float> scratch;
        scratch.resize(static_cast<size_t>(p.m * (hi - lo)));
        dnnlGemm(matrixA(i), p.transposeA, block, p.transposeB, scratch.data(), p.m, hi - lo, p.k);
        float* c = p.out + i * mn + lo;
        for (int64_t r = 0; r < p.m; r++) std::memcpy(c + r * p.n, scratch.data() + r * (hi - lo), sizeof(float) * (hi - lo));
        addBias(c, p.m, hi - lo, p.n, p.bias == nullptr ? nullptr : p.bias + lo);
      }
    });
  }
}

#endif

}  // namespace

Bf16Support bf16Support() {
  Bf16Support s{};
  __builtin_cpu_init();
  s.cpuHasBf16 = __builtin_cpu_supports("avx512bf16");
#ifdef TUNEFLEET_HAVE_DNNL
  s.hasDnnl = true;
  const dnnl_version_t* v = dnnl_version();
  s.detail = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  if (s.cpuHasBf16) {
    // Which kernel oneDNN picks for a typical product (brg:avx512_core_amx, brg:avx512_core_bf16, ...).
    const Gemm& probe = gemmFor(64, 64, 64, false, false);
    s.detail += ", " + std::string(probe.pd.impl_info_str());
  }
#else
  s.hasDnnl = false;
  s.detail = "built without oneDNN (libdnnl-dev was not installed when the addon was built)";
#endif
  return s;
}

Precision setPrecision(Precision precision) {
  if (precision == Precision::kBf16) {
    const Bf16Support s = bf16Support();
    if (!s.hasDnnl || !s.cpuHasBf16) precision = Precision::kBf16Emulated;
    gHasBf16Instructions = s.cpuHasBf16;
  }
  gPrecision = precision;
  return gPrecision;
}

Precision precision() { return gPrecision; }

void roundToBf16(const float* x, float* out, int64_t size) {
  pool().parallelFor(size, 1 << 15, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) out[i] = bf16BitsToFloat(toBf16Bits(x[i]));
  });
}

void bf16MatMul(const MatMulArgs& p) {
#ifdef TUNEFLEET_HAVE_DNNL
  dnnlMatMul(p);
#else
  (void)p;  // setPrecision never selects kBf16 without oneDNN
#endif
}

MatMulArgs withBf16RoundedInputs(const MatMulArgs& p) {
  // Only the JS main thread calls matMul: one pair of buffers serves every call.
  static std::vector<float> aBuf, bBuf;
  const int64_t aSize = (p.aMatrices > 0 ? p.aMatrices : p.batch) * p.m * p.k;
  const int64_t bSize = (p.bMatrices > 0 ? p.bMatrices : p.batch) * p.k * p.n;
  aBuf.resize(static_cast<size_t>(aSize));
  bBuf.resize(static_cast<size_t>(bSize));
  roundToBf16(p.a, aBuf.data(), aSize);
  roundToBf16(p.b, bBuf.data(), bSize);
  MatMulArgs rounded = p;
  rounded.a = aBuf.data();
  rounded.b = bBuf.data();
  return rounded;
}

}  // namespace tunefleet
