#!/usr/bin/python3
"""Plain-PyTorch Marian (no transformers) matching Hugging Face's modeling_marian (eager attention),
with transformers' greedy and beam search (BeamSearchScorer) for encoder-decoders.

MarianMTModel: `model.shared` token embeddings (padding_idx = pad_token_id) times sqrt(d_model) when
`scale_embedding`, plus MarianSinusoidalPositionalEmbedding (sines in the first half, cosines in the
second, position 0 first; a buffer, not trained) or, with `static_position_embeddings` false, a
learned table; dropout; post-LN encoder layers `model.encoder.layers.N` (self_attn k/v/q/out_proj,
self_attn_layer_norm, fc1, activation, fc2, final_layer_norm) and decoder layers
`model.decoder.layers.N` (causal self_attn, self_attn_layer_norm, encoder_attn over the encoder
output, encoder_attn_layer_norm, fc1, fc2, final_layer_norm); no final LayerNorm; logits
`lm_head(x) + final_logits_bias` (a buffer) with lm_head tied to model.shared unless
tie_word_embeddings is false. Loss: mean cross-entropy over labels != -100, no shift (the decoder
inputs are the labels shifted right with decoder_start_token_id first). Float64 from the stored
float32 weights, dropout off.

Generation follows transformers' `generate` for encoder-decoders: the encoder runs once; the decoder
starts from decoder_start_token_id and keeps a key/value cache (self-attention grows one position per
step, cross-attention keys/values are computed on the first step); logits processors in
transformers' order (repetition penalty, no_repeat_ngram_size, bad_words_ids, forced BOS, forced
EOS at max_length - 1; renormalize_logits, as opus-mt sets it, log-softmaxes again); greedy pads finished rows; beam search is BeamSearchScorer /
BeamHypotheses (transformers 4.4x: scores are sum log-probs / generated_len ** length_penalty,
early_stopping True / False / "never").

  /usr/bin/python3 tools/reference/marian_reference.py generate --out libs/model/fixtures/golden-marian
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from causal_common import causal_mask
from fixture_io import generate_main, write_golden, write_json

MIN = torch.finfo(torch.float32).min
PAD, EOS = 52, 0
CONFIG = {
    "model_type": "marian",
    "architectures": ["MarianMTModel"],
    "vocab_size": 53,
    "decoder_vocab_size": 53,
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 37,
    "decoder_ffn_dim": 41,
    "max_position_embeddings": 24,
    "activation_function": "swish",
    "dropout": 0.1,  # in the config; the golden computation runs with dropout off
    "attention_dropout": 0.1,
    "activation_dropout": 0.1,
    "init_std": 0.02,
    "scale_embedding": True,
    "static_position_embeddings": True,
    "share_encoder_decoder_embeddings": True,
    "tie_word_embeddings": True,
    "pad_token_id": PAD,
    "eos_token_id": EOS,
    "decoder_start_token_id": PAD,
    "forced_eos_token_id": EOS,
    "bad_words_ids": [[PAD]],
    "is_encoder_decoder": True,
}
# A second model: learned positions, an untied head, gelu, unscaled embeddings.
LEARNED = {**CONFIG, "static_position_embeddings": False, "tie_word_embeddings": False, "activation_function": "gelu", "scale_embedding": False}

# Batch 2: sources of 7 (row 1 right-padded), targets of 6 (row 1 shorter: labels -100 there).
SOURCE = [[14, 7, 33, 41, 5, 19, EOS], [28, 50, 3, EOS, PAD, PAD, PAD]]
SOURCE_MASK = [[1] * 7, [1] * 4 + [0] * 3]
TARGET = [[9, 44, 17, 30, 2, EOS], [11, 6, EOS]]
# Generation: three sources of different lengths, batched with padding.
GEN_SOURCES = [[14, 7, 33, 41, 5, 19, EOS], [28, 50, 3, EOS], [8, 21, 46, 12, 37, EOS]]


def activation(name):
    return {"swish": F.silu, "silu": F.silu, "relu": F.relu, "gelu": F.gelu}[name]


def sinusoidal(n_pos, dim):
    """MarianSinusoidalPositionalEmbedding._init_weight."""
    enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out = torch.zeros(n_pos, dim)
    sentinel = dim // 2 if dim % 2 == 0 else (dim // 2) + 1
    out[:, 0:sentinel] = torch.FloatTensor(np.sin(enc[:, 0::2]))
    out[:, sentinel:] = torch.FloatTensor(np.cos(enc[:, 1::2]))
    return out


class Positions(nn.Module):
    def __init__(self, c):
        super().__init__()
        table = sinusoidal(c["max_position_embeddings"], c["d_model"])
        if c["static_position_embeddings"]:
            self.register_buffer("weight", table)
        else:
            self.weight = nn.Parameter(table)

    def forward(self, seq, past):
        return self.weight[past:past + seq]


class MarianAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = d // heads
        self.scaling = self.head_dim ** -0.5
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.q_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, mask, memory=None, past=None, cross=False):
        """Self-attention (past: cached k/v to extend) or cross-attention (past: the cached memory k/v)."""
        q = self.split(self.q_proj(x) * self.scaling)
        if cross:
            k, v = past if past is not None else (self.split(self.k_proj(memory)), self.split(self.v_proj(memory)))
        else:
            k, v = self.split(self.k_proj(x)), self.split(self.v_proj(x))
            if past is not None:
                k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        probs = torch.softmax(q @ k.transpose(-1, -2) + mask, dim=-1)
        out = (probs @ v).transpose(1, 2).reshape(x.shape)
        return self.out_proj(out), (k, v)


class EncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.self_attn = MarianAttention(d, c["encoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, c["encoder_ffn_dim"])
        self.fc2 = nn.Linear(c["encoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)
        self.act = activation(c["activation_function"])

    def forward(self, x, mask):
        x = self.self_attn_layer_norm(x + self.self_attn(x, mask)[0])
        return self.final_layer_norm(x + self.fc2(self.act(self.fc1(x))))


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.self_attn = MarianAttention(d, c["decoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = MarianAttention(d, c["decoder_attention_heads"])
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, c["decoder_ffn_dim"])
        self.fc2 = nn.Linear(c["decoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)
        self.act = activation(c["activation_function"])

    def forward(self, x, self_mask, memory, cross_mask, past_self, past_cross):
        a, present_self = self.self_attn(x, self_mask, past=past_self)
        x = self.self_attn_layer_norm(x + a)
        a, present_cross = self.encoder_attn(x, cross_mask, memory=memory, past=past_cross, cross=True)
        x = self.encoder_attn_layer_norm(x + a)
        return self.final_layer_norm(x + self.fc2(self.act(self.fc1(x)))), present_self, present_cross


class Coder(nn.Module):
    def __init__(self, c, layer):
        super().__init__()
        self.embed_positions = Positions(c)
        self.layers = nn.ModuleList([layer(c) for _ in range(c[f"{'encoder' if layer is EncoderLayer else 'decoder'}_layers"])])


class MarianModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.shared = nn.Embedding(c["vocab_size"], c["d_model"], padding_idx=c["pad_token_id"])
        self.encoder = Coder(c, EncoderLayer)
        self.decoder = Coder(c, DecoderLayer)


def padding_mask(mask, dtype):
    """[batch, 1, 1, src] additive: (1 - mask) * float32 min."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * MIN


class MarianMTModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = MarianModel(c)
        self.register_buffer("final_logits_bias", torch.zeros(1, c["vocab_size"]))
        if not c["tie_word_embeddings"]:
            self.lm_head = nn.Linear(c["d_model"], c["vocab_size"], bias=False)
        self.scale = math.sqrt(c["d_model"]) if c["scale_embedding"] else 1.0

    def encode(self, ids, mask):
        e = self.model.encoder
        x = self.model.shared(ids) * self.scale + e.embed_positions(ids.shape[1], 0)
        m = padding_mask(mask, x.dtype)
        for layer in e.layers:
            x = layer(x, m)
        return x

    def decode(self, ids, memory, memory_mask, cache=None, decoder_mask=None):
        """Logits [batch, seq, vocab] of the new target tokens after the cache, and the grown cache."""
        d = self.model.decoder
        past = 0 if cache is None else cache[0][0][0].shape[2]
        b, s = ids.shape
        if decoder_mask is None:
            decoder_mask = torch.ones(b, past + s, dtype=torch.long)
        x = self.model.shared(ids) * self.scale + d.embed_positions(s, past)
        self_mask = causal_mask(decoder_mask, s, past, x.dtype)
        cross_mask = padding_mask(memory_mask, x.dtype)
        presents = []
        for i, layer in enumerate(d.layers):
            past_self, past_cross = (None, None) if cache is None else cache[i]
            x, ps, pc = layer(x, self_mask, memory, cross_mask, past_self, past_cross)
            presents.append((ps, pc))
        head = self.model.shared.weight if self.c["tie_word_embeddings"] else self.lm_head.weight
        return x @ head.T + self.final_logits_bias, presents


def shift_right(labels, start, pad):
    shifted = [[start] + row[:-1] for row in labels]
    return [[pad if t == -100 else t for t in row] for row in shifted]


def padded(rows, value):
    width = max(len(r) for r in rows)
    return [r + [value] * (width - len(r)) for r in rows]


def is_norm(name):
    return "layer_norm" in name


def init_weights(model, generator):
    """N(0, 0.2) everywhere (gradients well above float32 noise); LayerNorm weights 1 + N(0, 0.1), biases N(0, 0.1)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if is_norm(name):
                base = 1.0 if name.endswith(".weight") else 0.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=generator))
            elif name.endswith("embed_positions.weight"):
                p.add_(0.05 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))
        model.final_logits_bias.copy_(0.2 * torch.randn(model.final_logits_bias.shape, generator=generator))
        model.final_logits_bias[0, EOS] += 0.5  # so that some hypotheses end before max_length
    weights = {name: p.detach().clone() for name, p in model.named_parameters()}
    weights["final_logits_bias"] = model.final_logits_bias.detach().clone()
    if model.c["static_position_embeddings"]:
        weights["model.encoder.embed_positions.weight"] = model.model.encoder.embed_positions.weight.clone()
        weights["model.decoder.embed_positions.weight"] = model.model.decoder.embed_positions.weight.clone()
    return weights


# ---- generation (transformers' generate for encoder-decoders) ----

def process(scores, ids, cfg, cur_len, max_length):
    """transformers' logits processors on [rows, vocab] scores; ids [rows, cur_len] the decoder inputs so far."""
    scores = scores.clone()
    if cfg.get("repetition_penalty", 1.0) != 1.0:
        p = cfg["repetition_penalty"]
        picked = torch.gather(scores, 1, ids)
        scores.scatter_(1, ids, torch.where(picked < 0, picked * p, picked / p))
    n = cfg.get("no_repeat_ngram_size", 0)
    if n > 0 and cur_len + 1 >= n:
        for r in range(ids.shape[0]):
            row = ids[r].tolist()
            banned = {}
            for i in range(len(row) - n + 1):
                banned.setdefault(tuple(row[i:i + n - 1]), []).append(row[i + n - 1])
            for t in banned.get(tuple(row[cur_len + 1 - n:cur_len]), []):
                scores[r, t] = -math.inf
    for words in cfg.get("bad_words_ids") or []:
        if len(words) == 1:
            scores[:, words[0]] = -math.inf
    if cfg.get("forced_bos_token_id") is not None and cur_len == 1:
        scores[:, :] = -math.inf
        scores[:, cfg["forced_bos_token_id"]] = 0
    if cfg.get("forced_eos_token_id") is not None and cur_len == max_length - 1:
        scores[:, :] = -math.inf
        scores[:, cfg["forced_eos_token_id"]] = 0
    if cfg.get("renormalize_logits"):
        scores = F.log_softmax(scores, dim=-1)
    return scores


def encode_batch(model, sources, rows_per_source=1):
    ids = torch.tensor(padded(sources, PAD))
    mask = torch.tensor(padded([[1] * len(s) for s in sources], 0))
    memory = model.encode(ids, mask)
    return memory.repeat_interleave(rows_per_source, 0), mask.repeat_interleave(rows_per_source, 0)


def step(model, ids, memory, mask, cache, use_cache):
    if use_cache:
        logits, cache = model.decode(ids[:, -1:] if cache is not None else ids, memory, mask, cache)
    else:
        logits, _ = model.decode(ids, memory, mask, None)
    return logits[:, -1, :], cache


def greedy(model, sources, cfg, use_cache, min_margin=1e-3):
    max_length = cfg["max_new_tokens"] + 1
    with torch.no_grad():
        memory, mask = encode_batch(model, sources)
        ids = torch.full((len(sources), 1), CONFIG["decoder_start_token_id"], dtype=torch.long)
        unfinished = torch.ones(len(sources), dtype=torch.long)
        cache = None
        while ids.shape[1] < max_length:
            logits, cache = step(model, ids, memory, mask, cache, use_cache)
            scores = process(logits, ids, cfg, ids.shape[1], max_length)
            for r in range(len(sources)):
                if unfinished[r]:
                    top = torch.topk(scores[r], 2).values
                    assert not math.isfinite(top[1]) or top[0] - top[1] > min_margin, f"near tie: {top.tolist()}"
            nxt = torch.argmax(scores, dim=-1)
            nxt = nxt * unfinished + PAD * (1 - unfinished)
            ids = torch.cat([ids, nxt[:, None]], dim=1)
            unfinished = unfinished & (nxt != EOS).long()
            if unfinished.max() == 0:
                break
    return [strip(row) for row in ids.tolist()]


def strip(row):
    """A decoded row without the decoder start token and the padding after it."""
    row = row[1:]
    while row and row[-1] == PAD:
        row.pop()
    return row


class Hypotheses:
    """transformers' BeamHypotheses."""

    def __init__(self, num_beams, length_penalty, early_stopping, max_length):
        self.num_beams, self.length_penalty, self.early_stopping, self.max_length = num_beams, length_penalty, early_stopping, max_length
        self.beams = []
        self.worst_score = 1e9

    def add(self, hyp, sum_logprobs, generated_len):
        score = sum_logprobs / (generated_len ** self.length_penalty)
        if len(self.beams) < self.num_beams or score > self.worst_score:
            self.beams.append((score, hyp))
            if len(self.beams) > self.num_beams:
                ranked = sorted([(s, idx) for idx, (s, _) in enumerate(self.beams)])
                del self.beams[ranked[0][1]]
                self.worst_score = ranked[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs, cur_len, prompt_len=1):
        if len(self.beams) < self.num_beams:
            return False
        if self.early_stopping is True:
            return True
        if self.early_stopping is False:
            return self.worst_score >= best_sum_logprobs / (cur_len - prompt_len) ** self.length_penalty
        if self.length_penalty > 0.0:
            return self.worst_score >= best_sum_logprobs / (self.max_length - prompt_len) ** self.length_penalty
        return self.worst_score >= best_sum_logprobs / (cur_len - prompt_len) ** self.length_penalty


def beam_search(model, sources, cfg, use_cache, min_margin=1e-4):
    k = cfg["num_beams"]
    max_length = cfg["max_new_tokens"] + 1
    batch = len(sources)
    with torch.no_grad():
        memory, mask = encode_batch(model, sources, k)
        ids = torch.full((batch * k, 1), CONFIG["decoder_start_token_id"], dtype=torch.long)
        beam_scores = torch.zeros(batch, k, dtype=torch.float64)
        beam_scores[:, 1:] = -1e9
        beam_scores = beam_scores.view(-1)
        hyps = [Hypotheses(k, cfg["length_penalty"], cfg["early_stopping"], max_length) for _ in range(batch)]
        done = [False] * batch
        cache = None
        while True:
            logits, cache = step(model, ids, memory, mask, cache, use_cache)
            scores = process(F.log_softmax(logits, dim=-1), ids, cfg, ids.shape[1], max_length)
            scores = scores + beam_scores[:, None]
            vocab = scores.shape[-1]
            scores = scores.view(batch, k * vocab)
            keep = 2 * k
            top_scores, top_tokens = torch.topk(scores, keep + 1, dim=1, largest=True, sorted=True)
            for b in range(batch):
                if done[b]:
                    continue
                finite = [v for v in top_scores[b].tolist() if math.isfinite(v)]
                gaps = [finite[i] - finite[i + 1] for i in range(len(finite) - 1)]
                assert all(g > min_margin for g in gaps), f"near tie in beam step {ids.shape[1]}: {finite}"
            top_scores, top_tokens = top_scores[:, :keep], top_tokens[:, :keep]
            indices = torch.div(top_tokens, vocab, rounding_mode="floor")
            tokens = top_tokens % vocab
            cur_len = ids.shape[1] + 1
            next_scores = torch.zeros(batch, k, dtype=torch.float64)
            next_tokens = torch.zeros(batch, k, dtype=torch.long)
            next_indices = torch.zeros(batch, k, dtype=torch.long)
            for b in range(batch):
                if done[b]:
                    next_tokens[b, :] = PAD
                    continue
                slot = 0
                for rank in range(keep):
                    token, score, index = int(tokens[b, rank]), float(top_scores[b, rank]), int(indices[b, rank])
                    row = b * k + index
                    if token == EOS:
                        if rank >= k:
                            continue
                        hyps[b].add(ids[row].clone(), score, cur_len - 1)
                    else:
                        next_scores[b, slot], next_tokens[b, slot], next_indices[b, slot] = score, token, row
                        slot += 1
                    if slot == k:
                        break
                done[b] = done[b] or hyps[b].is_done(float(top_scores[b].max()), cur_len)
            beam_scores = next_scores.view(-1)
            rows = next_indices.view(-1)
            ids = torch.cat([ids[rows, :], next_tokens.view(-1)[:, None]], dim=-1)
            if cache is not None:
                cache = [((s[0][rows], s[1][rows]), c) for s, c in cache]
            if all(done) or ids.shape[1] >= max_length:
                break
        best = []
        for b in range(batch):
            if not done[b]:
                for j in range(k):
                    row = b * k + j
                    hyps[b].add(ids[row], float(beam_scores[row]), ids.shape[1] - 1)
            ranked = sorted(hyps[b].beams, key=lambda x: x[0])
            best.append(ranked.pop()[1].tolist())
        width = min(max(len(h) for h in best) + 1, max_length)
        rows = []
        for h in best:
            row = h + ([EOS] if len(h) < width else [])
            rows.append(strip(row + [PAD] * (width - len(row))))
        return rows


def generation_record(model):
    base = {"bad_words_ids": [[PAD]], "forced_eos_token_id": EOS, "max_new_tokens": 12}
    cases = [
        {"name": "greedy", "config": {**base}},
        {"name": "greedy-no-repeat", "config": {**base, "no_repeat_ngram_size": 2, "forced_bos_token_id": 5}},
        {"name": "beam", "config": {**base, "num_beams": 3, "length_penalty": 1.0, "early_stopping": False}},
        {"name": "beam-renormalized", "config": {**base, "num_beams": 3, "length_penalty": 1.0, "early_stopping": False, "renormalize_logits": True}},
        {"name": "beam-early", "config": {**base, "num_beams": 4, "length_penalty": 0.6, "early_stopping": True, "no_repeat_ngram_size": 3}},
        {"name": "beam-never", "config": {**base, "num_beams": 2, "length_penalty": 2.0, "early_stopping": "never", "repetition_penalty": 1.3}},
    ]
    out = []
    for case in cases:
        cfg = case["config"]
        run = beam_search if cfg.get("num_beams", 1) > 1 else greedy
        cached = run(model, GEN_SOURCES, cfg, True)
        uncached = run(model, GEN_SOURCES, cfg, False)
        assert cached == uncached, (case["name"], cached, uncached)
        out.append({**case, "tokens": cached})
    return {"sources": GEN_SOURCES, "cases": out}


def write_fixture(d, config, seed, generation):
    generator = torch.Generator().manual_seed(seed)
    model = MarianMTModel(config)
    weights = init_weights(model, generator)
    model = model.double()
    labels = padded(TARGET, -100)
    decoder_inputs = shift_right(labels, config["decoder_start_token_id"], PAD)
    inputs = {
        "input_ids": SOURCE,
        "attention_mask": SOURCE_MASK,
        "token_type_ids": [[0] * 7] * 2,
        "decoder_input_ids": decoder_inputs,
        "labels": labels,
    }
    src, src_mask = torch.tensor(SOURCE), torch.tensor(SOURCE_MASK)
    logits, _ = model.decode(torch.tensor(decoder_inputs), model.encode(src, src_mask), src_mask)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.tensor(labels).reshape(-1), ignore_index=-100)
    loss.backward()
    write_golden(d, config, model, weights, inputs, logits, loss)
    if generation:
        write_json(os.path.join(d, "generation.json"), generation_record(model))


def generate(out):
    write_fixture(os.path.join(out, "translation"), CONFIG, 0, True)
    write_fixture(os.path.join(out, "learned", "translation"), LEARNED, 1, False)


def main():
    generate_main(__doc__, generate)


if __name__ == "__main__":
    main()
