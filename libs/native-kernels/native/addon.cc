// N-API bindings: each function takes typed arrays owned by JS (no copies) and plain numbers.
// Shapes are validated in TypeScript (src/addon.ts); here only lengths are checked, so a bad
// call throws a RangeError instead of reading out of bounds.
#include <napi.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kernels.h"

extern "C" {
#include <cblas.h>
}

// shared-memory.cc
Napi::Value SharedMemoryCreate(const Napi::CallbackInfo& info);
Napi::Value SharedMemoryOpen(const Napi::CallbackInfo& info);

namespace {

using tunefleet::Activation;

template <typename T>
struct View {
  T* data;
  int64_t length;
};

template <typename T>
View<T> typedArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* what,
                 bool optional = false) {
  if (optional && (info[i].IsNull() || info[i].IsUndefined())) return {nullptr, 0};
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string("argument ") + std::to_string(i) + " (" + what +
                                               ") must be a " +
                                               (type == napi_float32_array ? "Float32Array" : "Int32Array"));
  }
  auto arr = info[i].As<Napi::TypedArrayOf<T>>();
  return {arr.Data(), static_cast<int64_t>(arr.ElementLength())};
}

View<float> f32(const Napi::CallbackInfo& info, size_t i, const char* what, bool optional = false) {
  return typedArg<float>(info, i, napi_float32_array, what, optional);
}

View<int32_t> i32(const Napi::CallbackInfo& info, size_t i, const char* what, bool optional = false) {
  return typedArg<int32_t>(info, i, napi_int32_array, what, optional);
}

int64_t num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
float flt(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().FloatValue(); }

void need(const Napi::CallbackInfo& info, bool ok, const std::string& message) {
  if (!ok) throw Napi::RangeError::New(info.Env(), message);
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  tunefleet::setThreads(static_cast<int>(num(info, 0)));
  return Napi::Number::New(info.Env(), tunefleet::threads());
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), tunefleet::threads()); }

Napi::Value BlasConfig(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), openblas_get_config()); }

// matMul(a, b, out, batch, m, n, k, transposeA, transposeB, aIndex|null, bIndex|null, bias|null, activation, alpha)
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  auto a = f32(info, 0, "a"), b = f32(info, 1, "b"), out = f32(info, 2, "out");
  tunefleet::MatMulArgs p{};
  p.batch = num(info, 3);
  p.m = num(info, 4);
  p.n = num(info, 5);
  p.k = num(info, 6);
  p.transposeA = info[7].ToBoolean();
  p.transposeB = info[8].ToBoolean();
  auto aIndex = i32(info, 9, "aIndex", true), bIndex = i32(info, 10, "bIndex", true);
  auto bias = f32(info, 11, "bias", true);
  p.activation = static_cast<Activation>(num(info, 12));
  p.alpha = flt(info, 13);
  need(info, out.length == p.batch * p.m * p.n, "matMul: out has the wrong length");
  need(info, (aIndex.data != nullptr || a.length == p.batch * p.m * p.k) && a.length % (p.m * p.k > 0 ? p.m * p.k : 1) == 0,
       "matMul: a has the wrong length");
  need(info, (bIndex.data != nullptr || b.length == p.batch * p.k * p.n) && b.length % (p.k * p.n > 0 ? p.k * p.n : 1) == 0,
       "matMul: b has the wrong length");
  need(info, aIndex.data == nullptr || aIndex.length == p.batch, "matMul: aIndex length != batch");
  need(info, bIndex.data == nullptr || bIndex.length == p.batch, "matMul: bIndex length != batch");
  const int64_t aMats = p.m * p.k > 0 ? a.length / (p.m * p.k) : 0;
  const int64_t bMats = p.k * p.n > 0 ? b.length / (p.k * p.n) : 0;
  for (int64_t i = 0; aIndex.data && i < aIndex.length; i++)
    need(info, aIndex.data[i] >= 0 && (p.m * p.k == 0 || aIndex.data[i] < aMats), "matMul: aIndex out of range");
  for (int64_t i = 0; bIndex.data && i < bIndex.length; i++)
    need(info, bIndex.data[i] >= 0 && (p.k * p.n == 0 || bIndex.data[i] < bMats), "matMul: bIndex out of range");
  need(info, bias.data == nullptr || bias.length == p.n, "matMul: bias length != n");
  need(info, num(info, 12) >= 0 && num(info, 12) <= 5, "matMul: unknown activation");
  p.a = a.data;
  p.b = b.data;
  p.out = out.data;
  p.aIndex = aIndex.data;
  p.bIndex = bIndex.data;
  p.bias = bias.data;
  tunefleet::matMul(p);
  return info.Env().Undefined();
}

// unsortedSegmentSum(x, ids, out, inner, numSegments)
Napi::Value UnsortedSegmentSum(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x");
  auto ids = i32(info, 1, "segmentIds");
  auto out = f32(info, 2, "out");
  const int64_t inner = num(info, 3), numSegments = num(info, 4);
  need(info, x.length == ids.length * inner, "unsortedSegmentSum: x length != ids * inner");
  need(info, out.length == numSegments * inner, "unsortedSegmentSum: out length != numSegments * inner");
  tunefleet::unsortedSegmentSum(x.data, ids.data, ids.length, inner, numSegments, out.data);
  return info.Env().Undefined();
}

// softmax(x, out, cols)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 1, "out");
  const int64_t cols = num(info, 2);
  need(info, cols > 0 && x.length % cols == 0 && out.length == x.length, "softmax: bad lengths");
  tunefleet::softmaxRows(x.data, out.data, x.length / cols, cols);
  return info.Env().Undefined();
}

// softmaxGrad(y, dy, dx, cols)
Napi::Value SoftmaxGrad(const Napi::CallbackInfo& info) {
  auto y = f32(info, 0, "y"), dy = f32(info, 1, "dy"), dx = f32(info, 2, "dx");
  const int64_t cols = num(info, 3);
  need(info, cols > 0 && y.length % cols == 0 && dy.length == y.length && dx.length == y.length,
       "softmaxGrad: bad lengths");
  tunefleet::softmaxGradRows(y.data, dy.data, dx.data, y.length / cols, cols);
  return info.Env().Undefined();
}

template <void (*Fn)(const float*, float*, int64_t)>
Napi::Value UnaryFn(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 1, "out");
  need(info, out.length == x.length, "unary op: out length != x length");
  Fn(x.data, out.data, x.length);
  return info.Env().Undefined();
}

// geluGrad(x, dy, dx)
Napi::Value GeluGrad(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), dy = f32(info, 1, "dy"), dx = f32(info, 2, "dx");
  need(info, dy.length == x.length && dx.length == x.length, "geluGrad: bad lengths");
  tunefleet::geluGrad(x.data, dy.data, dx.data, x.length);
  return info.Env().Undefined();
}

// layerNorm(x, gamma, beta, out, mean, rstd, epsilon)
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), gamma = f32(info, 1, "gamma"), beta = f32(info, 2, "beta");
  auto out = f32(info, 3, "out"), mean = f32(info, 4, "mean"), rstd = f32(info, 5, "rstd");
  const int64_t cols = gamma.length;
  need(info, cols > 0 && beta.length == cols && x.length % cols == 0 && out.length == x.length,
       "layerNorm: bad lengths");
  const int64_t rows = x.length / cols;
  need(info, mean.length == rows && rstd.length == rows, "layerNorm: mean/rstd length != rows");
  tunefleet::layerNorm(x.data, gamma.data, beta.data, out.data, mean.data, rstd.data, rows, cols, flt(info, 6));
  return info.Env().Undefined();
}

// addLayerNorm(a, b, gamma, beta, sum, out, mean, rstd, epsilon): layerNorm(a + b), a + b kept in sum
Napi::Value AddLayerNorm(const Napi::CallbackInfo& info) {
  auto a = f32(info, 0, "a"), b = f32(info, 1, "b"), gamma = f32(info, 2, "gamma"), beta = f32(info, 3, "beta");
  auto sum = f32(info, 4, "sum"), out = f32(info, 5, "out"), mean = f32(info, 6, "mean"), rstd = f32(info, 7, "rstd");
  const int64_t cols = gamma.length;
  need(info, cols > 0 && beta.length == cols && a.length % cols == 0 && b.length == a.length && sum.length == a.length &&
       out.length == a.length, "addLayerNorm: bad lengths");
  const int64_t rows = a.length / cols;
  need(info, mean.length == rows && rstd.length == rows, "addLayerNorm: mean/rstd length != rows");
  tunefleet::addLayerNorm(a.data, b.data, sum.data, gamma.data, beta.data, out.data, mean.data, rstd.data, rows, cols,
                          flt(info, 8));
  return info.Env().Undefined();
}

// layerNormGrad(dy, x, gamma, mean, rstd, dx, dgamma, dbeta)
Napi::Value LayerNormGrad(const Napi::CallbackInfo& info) {
  auto dy = f32(info, 0, "dy"), x = f32(info, 1, "x"), gamma = f32(info, 2, "gamma");
  auto mean = f32(info, 3, "mean"), rstd = f32(info, 4, "rstd");
  auto dx = f32(info, 5, "dx"), dgamma = f32(info, 6, "dgamma"), dbeta = f32(info, 7, "dbeta");
  const int64_t cols = gamma.length;
  need(info, cols > 0 && x.length % cols == 0 && dy.length == x.length && dx.length == x.length,
       "layerNormGrad: bad lengths");
  const int64_t rows = x.length / cols;
  need(info, mean.length == rows && rstd.length == rows && dgamma.length == cols && dbeta.length == cols,
       "layerNormGrad: bad lengths");
  tunefleet::layerNormGrad(dy.data, x.data, gamma.data, mean.data, rstd.data, dx.data, dgamma.data, dbeta.data,
                           rows, cols);
  return info.Env().Undefined();
}

// binary(op, a, b, out, outShape: number[], aStrides: number[], bStrides: number[])
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(num(info, 0));
  auto a = f32(info, 1, "a"), b = f32(info, 2, "b"), out = f32(info, 3, "out");
  auto shapeArr = info[4].As<Napi::Array>(), aArr = info[5].As<Napi::Array>(), bArr = info[6].As<Napi::Array>();
  const int rank = static_cast<int>(shapeArr.Length());
  need(info, op >= 0 && op <= 3, "binary: unknown op");
  need(info, rank <= 8 && aArr.Length() == shapeArr.Length() && bArr.Length() == shapeArr.Length(),
       "binary: rank > 8 or stride arrays of the wrong rank");
  int64_t shape[8], as[8], bs[8];
  int64_t size = 1, aMax = 0, bMax = 0;
  for (int d = 0; d < rank; d++) {
    shape[d] = shapeArr.Get(d).As<Napi::Number>().Int64Value();
    as[d] = aArr.Get(d).As<Napi::Number>().Int64Value();
    bs[d] = bArr.Get(d).As<Napi::Number>().Int64Value();
    size *= shape[d];
    if (shape[d] > 0) {
      aMax += (shape[d] - 1) * as[d];
      bMax += (shape[d] - 1) * bs[d];
    }
  }
  need(info, out.length == size, "binary: out length != product of shape");
  need(info, size == 0 || (aMax < a.length && bMax < b.length), "binary: strides reach past an input");
  if (size > 0)
    tunefleet::binaryBroadcast(static_cast<tunefleet::BinaryOp>(op), a.data, b.data, out.data, shape, as, bs, rank);
  return info.Env().Undefined();
}

// adamw(params[], grads[], m[], v[], weightDecay[], learningRate, beta1, beta2, epsilon, step)
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  auto params = info[0].As<Napi::Array>(), grads = info[1].As<Napi::Array>();
  auto ms = info[2].As<Napi::Array>(), vs = info[3].As<Napi::Array>(), decays = info[4].As<Napi::Array>();
  const uint32_t count = params.Length();
  need(info, grads.Length() == count && ms.Length() == count && vs.Length() == count && decays.Length() == count,
       "adamw: params, grads, m, v and weightDecay must have the same length");
  tunefleet::AdamWHyper h{flt(info, 5), flt(info, 6), flt(info, 7), flt(info, 8), num(info, 9)};
  need(info, h.step >= 1, "adamw: step must be >= 1");
  for (uint32_t i = 0; i < count; i++) {
    auto get = [&](Napi::Array arr) {
      Napi::Value v = arr.Get(i);
      need(info, v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array,
           "adamw: entry " + std::to_string(i) + " is not a Float32Array");
      auto t = v.As<Napi::Float32Array>();
      return View<float>{t.Data(), static_cast<int64_t>(t.ElementLength())};
    };
    auto p = get(params), g = get(grads), m = get(ms), v = get(vs);
    need(info, g.length == p.length && m.length == p.length && v.length == p.length,
         "adamw: entry " + std::to_string(i) + " has mismatched lengths");
    tunefleet::adamw(p.data, g.data, m.data, v.data, p.length, decays.Get(i).As<Napi::Number>().FloatValue(), h);
  }
  return info.Env().Undefined();
}

// transpose(x, out, outShape: number[], permutedInStrides: number[])
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 1, "out");
  auto shapeArr = info[2].As<Napi::Array>(), strideArr = info[3].As<Napi::Array>();
  const int rank = static_cast<int>(shapeArr.Length());
  need(info, rank >= 1 && rank <= 8 && strideArr.Length() == shapeArr.Length(), "transpose: rank must be 1..8");
  int64_t shape[8], strides[8], size = 1, maxOff = 0;
  for (int d = 0; d < rank; d++) {
    shape[d] = shapeArr.Get(d).As<Napi::Number>().Int64Value();
    strides[d] = strideArr.Get(d).As<Napi::Number>().Int64Value();
    size *= shape[d];
    if (shape[d] > 0) maxOff += (shape[d] - 1) * strides[d];
  }
  need(info, out.length == size && x.length == size && (size == 0 || maxOff < x.length), "transpose: bad lengths");
  tunefleet::transpose(x.data, out.data, shape, strides, rank);
  return info.Env().Undefined();
}

// reduceSum(x, out, outer, reduce, inner, scale)
Napi::Value ReduceSum(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 1, "out");
  const int64_t outer = num(info, 2), reduce = num(info, 3), inner = num(info, 4);
  need(info, x.length == outer * reduce * inner && out.length == outer * inner, "reduceSum: bad lengths");
  tunefleet::reduceSum(x.data, out.data, outer, reduce, inner, flt(info, 5));
  return info.Env().Undefined();
}

// unary(op, x, out)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int64_t op = num(info, 0);
  auto x = f32(info, 1, "x"), out = f32(info, 2, "out");
  need(info, op >= 0 && op <= 12, "unary: unknown op");
  need(info, out.length == x.length, "unary: out length != x length");
  tunefleet::unary(static_cast<tunefleet::UnaryOp>(op), x.data, out.data, x.length);
  return info.Env().Undefined();
}

// gather(x, indices, out, outer, dimSize, inner)
Napi::Value Gather(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x");
  auto indices = i32(info, 1, "indices");
  auto out = f32(info, 2, "out");
  const int64_t outer = num(info, 3), dimSize = num(info, 4), inner = num(info, 5);
  need(info, x.length == outer * dimSize * inner && out.length == outer * indices.length * inner, "gather: bad lengths");
  for (int64_t i = 0; i < indices.length; i++)
    need(info, indices.data[i] >= 0 && indices.data[i] < dimSize, "gather: index out of range");
  tunefleet::gather(x.data, indices.data, out.data, outer, dimSize, inner, indices.length);
  return info.Env().Undefined();
}

// addN(inputs: Float32Array[], out)
Napi::Value AddN(const Napi::CallbackInfo& info) {
  auto list = info[0].As<Napi::Array>();
  auto out = f32(info, 1, "out");
  std::vector<const float*> inputs;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    need(info, v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array,
         "addN: input " + std::to_string(i) + " is not a Float32Array");
    auto t = v.As<Napi::Float32Array>();
    need(info, static_cast<int64_t>(t.ElementLength()) == out.length, "addN: input " + std::to_string(i) + " length != out");
    inputs.push_back(t.Data());
  }
  tunefleet::addN(inputs.data(), static_cast<int>(inputs.size()), out.data, out.length);
  return info.Env().Undefined();
}

// addInto(target, source): target += source, same lengths, no overlap.
Napi::Value AddInto(const Napi::CallbackInfo& info) {
  auto target = f32(info, 0, "target"), source = f32(info, 1, "source");
  need(info, target.length == source.length, "addInto: target has " + std::to_string(target.length) +
                                                  " elements, source " + std::to_string(source.length));
  const char* t0 = reinterpret_cast<const char*>(target.data);
  const char* s0 = reinterpret_cast<const char*>(source.data);
  const int64_t bytes = target.length * static_cast<int64_t>(sizeof(float));
  need(info, bytes == 0 || t0 + bytes <= s0 || s0 + bytes <= t0, "addInto: target and source overlap");
  tunefleet::addInto(target.data, source.data, target.length);
  return info.Env().Undefined();
}

View<uint8_t> u8(const Napi::CallbackInfo& info, size_t i, const char* what);

// nonzeroBlocks(values, blockFloats, mask): count of blocks with a non-+0 word; mask bits set for them.
Napi::Value NonzeroBlocks(const Napi::CallbackInfo& info) {
  auto values = f32(info, 0, "values");
  const int64_t blockFloats = num(info, 1);
  auto mask = u8(info, 2, "mask");
  need(info, blockFloats >= 1, "nonzeroBlocks: blockFloats must be >= 1");
  const int64_t blocks = (values.length + blockFloats - 1) / blockFloats;
  need(info, mask.length * 8 >= blocks, "nonzeroBlocks: mask of " + std::to_string(mask.length) + " bytes cannot hold " +
                                            std::to_string(blocks) + " blocks");
  std::fill(mask.data, mask.data + mask.length, 0);
  return Napi::Number::New(info.Env(), static_cast<double>(tunefleet::nonzeroBlocks(values.data, values.length, blockFloats, mask.data)));
}

View<uint8_t> u8(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info[i].IsNull() || info[i].IsUndefined()) return {nullptr, 0};
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), std::string("argument ") + std::to_string(i) + " (" + what + ") must be a Uint8Array");
  }
  auto arr = info[i].As<Napi::Uint8Array>();
  return {arr.Data(), static_cast<int64_t>(arr.ElementLength())};
}

tunefleet::AttentionDims attentionDims(const Napi::CallbackInfo& info, size_t i) {
  tunefleet::AttentionDims d{num(info, i), num(info, i + 1), num(info, i + 2), num(info, i + 3), flt(info, i + 4), 0};
  need(info, d.batch > 0 && d.seq > 0 && d.heads > 0 && d.headDim > 0, "attention: batch, seq, heads and headDim must be > 0");
  d.ldQkv = d.heads * d.headDim;
  return d;
}

// attention(q, k, v, mask|null, keep|null, dropScale, probs, context, batch, seq, heads, headDim, scale)
Napi::Value Attention(const Napi::CallbackInfo& info) {
  auto q = f32(info, 0, "q"), k = f32(info, 1, "k"), v = f32(info, 2, "v"), mask = f32(info, 3, "mask", true);
  auto keep = u8(info, 4, "keep");
  auto probs = f32(info, 6, "probs"), context = f32(info, 7, "context");
  const auto d = attentionDims(info, 8);
  const int64_t act = d.batch * d.seq * d.heads * d.headDim, pr = d.batch * d.heads * d.seq * d.seq;
  need(info, q.length == act && k.length == act && v.length == act && context.length == act,
       "attention: q, k, v and context must hold batch * seq * heads * headDim values");
  need(info, probs.length == pr && (keep.data == nullptr || keep.length == pr),
       "attention: probs and keep must hold batch * heads * seq * seq values");
  need(info, mask.data == nullptr || mask.length == d.batch * d.seq, "attention: mask must hold batch * seq values");
  tunefleet::attention(d, q.data, k.data, v.data, mask.data, keep.data, flt(info, 5), probs.data, context.data);
  return info.Env().Undefined();
}

// attentionGrad(dContext, q, k, v, probs, keep|null, dropScale, dq, dk, dv, batch, seq, heads, headDim, scale)
Napi::Value AttentionGrad(const Napi::CallbackInfo& info) {
  auto g = f32(info, 0, "dContext"), q = f32(info, 1, "q"), k = f32(info, 2, "k"), v = f32(info, 3, "v");
  auto probs = f32(info, 4, "probs");
  auto keep = u8(info, 5, "keep");
  auto dq = f32(info, 7, "dq"), dk = f32(info, 8, "dk"), dv = f32(info, 9, "dv");
  const auto d = attentionDims(info, 10);
  const int64_t act = d.batch * d.seq * d.heads * d.headDim, pr = d.batch * d.heads * d.seq * d.seq;
  need(info, g.length == act && q.length == act && k.length == act && v.length == act && dq.length == act &&
       dk.length == act && dv.length == act, "attentionGrad: activations must hold batch * seq * heads * headDim values");
  need(info, probs.length == pr && (keep.data == nullptr || keep.length == pr),
       "attentionGrad: probs and keep must hold batch * heads * seq * seq values");
  tunefleet::attentionGrad(d, g.data, q.data, k.data, v.data, probs.data, keep.data, flt(info, 6), dq.data, dk.data, dv.data);
  return info.Env().Undefined();
}

// attentionQkv(qkv, mask|null, keep|null, dropScale, probs, context, batch, seq, heads, headDim, scale):
// q, k, v are the three column blocks of qkv [batch * seq, 3 * hidden] (one fused projection).
Napi::Value AttentionQkv(const Napi::CallbackInfo& info) {
  auto qkv = f32(info, 0, "qkv"), mask = f32(info, 1, "mask", true);
  auto keep = u8(info, 2, "keep");
  auto probs = f32(info, 4, "probs"), context = f32(info, 5, "context");
  auto d = attentionDims(info, 6);
  const int64_t hidden = d.heads * d.headDim, act = d.batch * d.seq * hidden, pr = d.batch * d.heads * d.seq * d.seq;
  d.ldQkv = 3 * hidden;
  need(info, qkv.length == 3 * act && context.length == act,
       "attentionQkv: qkv must hold batch * seq * 3 * hidden values and context batch * seq * hidden");
  need(info, probs.length == pr && (keep.data == nullptr || keep.length == pr),
       "attentionQkv: probs and keep must hold batch * heads * seq * seq values");
  need(info, mask.data == nullptr || mask.length == d.batch * d.seq, "attentionQkv: mask must hold batch * seq values");
  tunefleet::attention(d, qkv.data, qkv.data + hidden, qkv.data + 2 * hidden, mask.data, keep.data, flt(info, 3), probs.data,
                       context.data);
  return info.Env().Undefined();
}

// attentionQkvGrad(dContext, qkv, probs, keep|null, dropScale, dQkv, batch, seq, heads, headDim, scale)
Napi::Value AttentionQkvGrad(const Napi::CallbackInfo& info) {
  auto g = f32(info, 0, "dContext"), qkv = f32(info, 1, "qkv"), probs = f32(info, 2, "probs");
  auto keep = u8(info, 3, "keep");
  auto dQkv = f32(info, 5, "dQkv");
  auto d = attentionDims(info, 6);
  const int64_t hidden = d.heads * d.headDim, act = d.batch * d.seq * hidden, pr = d.batch * d.heads * d.seq * d.seq;
  d.ldQkv = 3 * hidden;
  need(info, g.length == act && qkv.length == 3 * act && dQkv.length == 3 * act,
       "attentionQkvGrad: dContext must hold batch * seq * hidden values, qkv and dQkv 3 times that");
  need(info, probs.length == pr && (keep.data == nullptr || keep.length == pr),
       "attentionQkvGrad: probs and keep must hold batch * heads * seq * seq values");
  tunefleet::attentionGrad(d, g.data, qkv.data, qkv.data + hidden, qkv.data + 2 * hidden, probs.data, keep.data, flt(info, 4),
                           dQkv.data, dQkv.data + hidden, dQkv.data + 2 * hidden);
  return info.Env().Undefined();
}

// keepMask(seed, rate, keep: Uint8Array)
Napi::Value KeepMask(const Napi::CallbackInfo& info) {
  auto keep = u8(info, 2, "keep");
  need(info, keep.data != nullptr || keep.length == 0, "keepMask: keep must be a Uint8Array");
  const double rate = info[1].As<Napi::Number>().DoubleValue();
  tunefleet::keepMask(static_cast<uint32_t>(info[0].As<Napi::Number>().Int64Value()), rate, keep.data, keep.length);
  return info.Env().Undefined();
}

// applyKeepMask(x, keep, scale, out)
Napi::Value ApplyKeepMask(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x"), out = f32(info, 3, "out");
  auto keep = u8(info, 1, "keep");
  need(info, keep.length == x.length && out.length == x.length, "applyKeepMask: x, keep and out must have the same length");
  tunefleet::applyKeepMask(x.data, keep.data, flt(info, 2), out.data, x.length);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sharedMemoryCreate", Napi::Function::New(env, SharedMemoryCreate));
  exports.Set("sharedMemoryOpen", Napi::Function::New(env, SharedMemoryOpen));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("blasConfig", Napi::Function::New(env, BlasConfig));
  exports.Set("matMul", Napi::Function::New(env, MatMul));
  exports.Set("unsortedSegmentSum", Napi::Function::New(env, UnsortedSegmentSum));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("softmaxGrad", Napi::Function::New(env, SoftmaxGrad));
  exports.Set("erf", Napi::Function::New(env, UnaryFn<tunefleet::erf>));
  exports.Set("gelu", Napi::Function::New(env, UnaryFn<tunefleet::gelu>));
  exports.Set("geluGrad", Napi::Function::New(env, GeluGrad));
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
  exports.Set("addLayerNorm", Napi::Function::New(env, AddLayerNorm));
  exports.Set("layerNormGrad", Napi::Function::New(env, LayerNormGrad));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("addInto", Napi::Function::New(env, AddInto));
  exports.Set("nonzeroBlocks", Napi::Function::New(env, NonzeroBlocks));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("reduceSum", Napi::Function::New(env, ReduceSum));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("gather", Napi::Function::New(env, Gather));
  exports.Set("addN", Napi::Function::New(env, AddN));
  exports.Set("adamw", Napi::Function::New(env, AdamW));
  exports.Set("attention", Napi::Function::New(env, Attention));
  exports.Set("attentionGrad", Napi::Function::New(env, AttentionGrad));
  exports.Set("attentionQkv", Napi::Function::New(env, AttentionQkv));
  exports.Set("attentionQkvGrad", Napi::Function::New(env, AttentionQkvGrad));
  exports.Set("keepMask", Napi::Function::New(env, KeepMask));
  exports.Set("applyKeepMask", Napi::Function::New(env, ApplyKeepMask));
  return exports;
}

}  // namespace

NODE_API_MODULE(tunefleet_native, Init)
