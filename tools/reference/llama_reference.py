#!/usr/bin/python3
"""Plain-PyTorch Llama / Qwen2 (no transformers) matching Hugging Face's modeling_llama (eager attention).

LlamaForCausalLM: `model.embed_tokens` (padding_idx = pad_token_id), decoder layers `model.layers.N`
(input_layernorm RMSNorm; self_attn q/k/v/o_proj, RoPE on q and k with rotate_half, grouped-query
k/v heads repeated as repeat_kv does; post_attention_layernorm; mlp down(silu(gate(x)) * up(x))),
`model.norm`, and `lm_head` unless tie_word_embeddings. RoPE frequencies as transformers'
ROPE_INIT_FUNCTIONS for "default", "linear", "dynamic" (recomputed from the sequence length at each
call, as dynamic_rope_update does) and "llama3". Qwen2: biases on q/k/v, none on o_proj. Float64
from the stored float32 weights, dropout off.

  /usr/bin/python3 tools/reference/llama_reference.py generate --out libs/model/fixtures/golden-llama

Cases (each a directory with config.json, model.safetensors, inputs.json, expected.safetensors,
generation.json, parameter-shapes.json):
  gqa/     llama, 4 query heads over 2 key/value heads, untied lm_head, rope_scaling llama3
  bias/    qwen2 (q/k/v biases), 4 heads over 1 key/value head, tied embeddings, rope_scaling linear
  dynamic/ llama with attention_bias and mlp_bias, pad_token_id, max_position_embeddings 6 < the
           sequences, rope_scaling dynamic (its cached and uncached greedy runs differ, as in transformers)
"""
import math
import os

import torch
from torch import nn

from causal_common import causal_mask, generation_record, init_weights, write_fixture
from fixture_io import generate_main

BASE = {
    "vocab_size": 61,
    "hidden_size": 32,
    "intermediate_size": 40,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "hidden_act": "silu",
    "max_position_embeddings": 64,
    "initializer_range": 0.02,
    "rms_norm_eps": 1e-6,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "rope_theta": 10000.0,
    "attention_dropout": 0.0,
}
CASES = {
    "gqa": {
        **BASE,
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "num_key_value_heads": 2,
        "tie_word_embeddings": False,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8},
    },
    "bias": {
        **BASE,
        "model_type": "qwen2",
        "architectures": ["Qwen2ForCausalLM"],
        "num_key_value_heads": 1,
        "tie_word_embeddings": True,
        "rope_theta": 1000000.0,
        "rope_scaling": {"type": "linear", "factor": 2.0},
        "use_sliding_window": False,
    },
    "dynamic": {
        **BASE,
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "num_key_value_heads": 4,
        "head_dim": 8,
        "max_position_embeddings": 6,
        "pad_token_id": 0,
        "attention_bias": True,
        "mlp_bias": True,
        "tie_word_embeddings": False,
        "rope_scaling": {"rope_type": "dynamic", "factor": 2.0},
    },
}
# Batch 2 x seq 7: row 1 right-padded (attention mask 0, label -100 there).
INPUT_IDS = [[1, 12, 7, 33, 41, 5, 19], [1, 28, 50, 3, 0, 0, 0]]
ATTENTION_MASK = [[1] * 7, [1] * 4 + [0] * 3]
PROMPT = [1, 9, 44, 17]
NEW_TOKENS = 8


def head_dim(c):
    return c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]


def inverse_frequencies(c, seq_len):
    dim = head_dim(c)
    base = c["rope_theta"]
    scaling = c.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "dynamic" and seq_len > c["max_position_embeddings"]:
        factor = scaling["factor"]
        base = base * ((factor * seq_len / c["max_position_embeddings"]) - (factor - 1)) ** (dim / (dim - 2))
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    if kind == "linear":
        inv = inv / scaling["factor"]
    if kind == "llama3":
        factor, low, high, old = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"], scaling["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        inv = torch.where(medium, smoothed, scaled)
    return inv


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads, self.dim = c["num_attention_heads"], c.get("num_key_value_heads") or c["num_attention_heads"], head_dim(c)
        qwen = c["model_type"] == "qwen2"
        qkv_bias = qwen or c.get("attention_bias", False)
        out_bias = (not qwen) and c.get("attention_bias", False)
        h = c["hidden_size"]
        self.q_proj = nn.Linear(h, self.heads * self.dim, bias=qkv_bias)
        self.k_proj = nn.Linear(h, self.kv_heads * self.dim, bias=qkv_bias)
        self.v_proj = nn.Linear(h, self.kv_heads * self.dim, bias=qkv_bias)
        self.o_proj = nn.Linear(self.heads * self.dim, h, bias=out_bias)

    def forward(self, x, cos, sin, mask, past):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.heads, self.dim).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.kv_heads, self.dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kv_heads, self.dim).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        groups = self.heads // self.kv_heads
        kr = k[:, :, None].expand(b, self.kv_heads, groups, k.shape[2], self.dim).reshape(b, self.heads, k.shape[2], self.dim)
        vr = v[:, :, None].expand(b, self.kv_heads, groups, v.shape[2], self.dim).reshape(b, self.heads, v.shape[2], self.dim)
        probs = torch.softmax(q @ kr.transpose(2, 3) / math.sqrt(self.dim) + mask, dim=-1)
        return self.o_proj((probs @ vr).transpose(1, 2).reshape(b, s, -1)), (k, v)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i, bias = c["hidden_size"], c["intermediate_size"], c.get("mlp_bias", False)
        self.gate_proj = nn.Linear(h, i, bias=bias)
        self.up_proj = nn.Linear(h, i, bias=bias)
        self.down_proj = nn.Linear(i, h, bias=bias)

    def forward(self, x):
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask, past):
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, past)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), present


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c.get("pad_token_id"))
        self.layers = nn.ModuleList([DecoderLayer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class LlamaForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = LlamaModel(c)
        if not c["tie_word_embeddings"]:
            self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)

    def decode(self, ids, cache, attention_mask=None):
        past = 0 if cache is None else cache[0][0].shape[2]
        b, s = ids.shape
        if attention_mask is None:
            attention_mask = torch.ones(b, past + s, dtype=torch.long)
        x = self.model.embed_tokens(ids)
        angles = torch.arange(past, past + s, dtype=torch.float64)[:, None] * inverse_frequencies(self.config, past + s)[None, :]
        emb = torch.cat([angles, angles], dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        mask = causal_mask(attention_mask, s, past, x.dtype)
        presents = []
        for i, layer in enumerate(self.model.layers):
            x, present = layer(x, cos, sin, mask, None if cache is None else cache[i])
            presents.append(present)
        x = self.model.norm(x)
        head = self.model.embed_tokens.weight if self.config["tie_word_embeddings"] else self.lm_head.weight
        return x @ head.T, presents


def is_norm(name):
    return name.endswith("layernorm.weight") or name == "model.norm.weight"


def generate(out):
    generator = torch.Generator().manual_seed(0)
    for case, config in CASES.items():
        model = LlamaForCausalLM(config)
        weights = init_weights(model, generator, is_norm)
        pad = config.get("pad_token_id")
        if pad is not None:  # nn.Embedding(padding_idx) keeps that row at zero; so do checkpoints
            weights["model.embed_tokens.weight"][pad].zero_()
            with torch.no_grad():
                model.model.embed_tokens.weight[pad].zero_()
        model = model.double()
        labels = [[t if m else -100 for t, m in zip(row, mask)] for row, mask in zip(INPUT_IDS, ATTENTION_MASK)]
        inputs = {"input_ids": INPUT_IDS, "attention_mask": ATTENTION_MASK, "token_type_ids": [[0] * 7] * 2, "labels": labels}
        generation = generation_record(model, PROMPT, NEW_TOKENS)
        write_fixture(os.path.join(out, case, "causal-lm"), config, model, weights, inputs, generation)


def main():
    generate_main(__doc__, generate)


if __name__ == "__main__":
    main()
