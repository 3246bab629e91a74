// N-API bindings of the attention family: the fused attention core, separate q/k/v or one qkv buffer, forward and backward.
#include "binding.h"
#include "attention.h"

namespace tunefleet::binding {

namespace {

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

}  // namespace

BindingTable attentionBindings() {
  static const Binding rows[] = {
    {"attention", Attention},
    {"attentionGrad", AttentionGrad},
    {"attentionQkv", AttentionQkv},
    {"attentionQkvGrad", AttentionQkvGrad},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
