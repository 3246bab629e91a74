#!/usr/bin/python3
"""Plain-PyTorch GPT-2 (no transformers) matching Hugging Face's modeling_gpt2 (eager attention).

GPT2LMHeadModel: `transformer.wte` + `transformer.wpe` (positions past .. past + seq - 1), pre-LN
blocks `transformer.h.N` (ln_1; attn.c_attn and attn.c_proj are Conv1D, weight [in, out]; causal
mask and padding mask at float32's minimum; ln_2; mlp.c_fc, gelu_new, mlp.c_proj), `transformer.ln_f`,
and the LM head tied to wte (not a parameter of its own). Float64 from the stored float32 weights,
dropout off. `decode` takes and returns a key/value cache, as `use_cache=True` does.

  /usr/bin/python3 tools/reference/gpt2_reference.py generate --out libs/model/fixtures/golden-gpt2
"""
import math
import os

import torch
from torch import nn

from causal_common import causal_mask, generation_record, init_weights, write_fixture
from fixture_io import generate_main

CONFIG = {
    "model_type": "gpt2",
    "architectures": ["GPT2LMHeadModel"],
    "vocab_size": 61,
    "n_positions": 16,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "n_inner": None,
    "activation_function": "gelu_new",
    "resid_pdrop": 0.1,  # in the config; the golden computation runs with dropout off
    "embd_pdrop": 0.1,
    "attn_pdrop": 0.1,
    "layer_norm_epsilon": 1e-5,
    "initializer_range": 0.02,
    "scale_attn_weights": True,
    "bos_token_id": 60,
    "eos_token_id": 60,
    "tie_word_embeddings": True,
}
# Batch 2 x seq 7: row 1 right-padded (attention mask 0, label -100 there).
INPUT_IDS = [[60, 12, 7, 33, 41, 5, 19], [60, 28, 50, 3, 0, 0, 0]]
ATTENTION_MASK = [[1] * 7, [1] * 4 + [0] * 3]
PROMPT = [60, 9, 44, 17]
NEW_TOKENS = 8


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        return x @ self.weight + self.bias


class GPT2Attention(nn.Module):
    def __init__(self, c, layer):
        super().__init__()
        self.c_attn = Conv1D(3 * c["n_embd"], c["n_embd"])
        self.c_proj = Conv1D(c["n_embd"], c["n_embd"])
        self.heads = c["n_head"]
        self.scale = (1 / math.sqrt(c["n_embd"] // c["n_head"])) if c["scale_attn_weights"] else 1.0
        if c.get("scale_attn_by_inverse_layer_idx"):
            self.scale /= layer + 1

    def split(self, x):
        b, s, h = x.shape
        return x.view(b, s, self.heads, h // self.heads).transpose(1, 2)

    def forward(self, x, mask, past):
        q, k, v = self.c_attn(x).split(x.shape[-1], dim=2)
        q, k, v = self.split(q), self.split(k), self.split(v)
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        probs = torch.softmax(q @ k.transpose(-1, -2) * self.scale + mask, dim=-1)
        out = (probs @ v).transpose(1, 2).reshape(x.shape)
        return self.c_proj(out), (k, v)


class GPT2MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        inner = c["n_inner"] or 4 * c["n_embd"]
        self.c_fc = Conv1D(inner, c["n_embd"])
        self.c_proj = Conv1D(c["n_embd"], inner)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, c, layer):
        super().__init__()
        eps = c["layer_norm_epsilon"]
        self.ln_1 = nn.LayerNorm(c["n_embd"], eps=eps)
        self.attn = GPT2Attention(c, layer)
        self.ln_2 = nn.LayerNorm(c["n_embd"], eps=eps)
        self.mlp = GPT2MLP(c)

    def forward(self, x, mask, past):
        a, present = self.attn(self.ln_1(x), mask, past)
        x = x + a
        return x + self.mlp(self.ln_2(x)), present


class GPT2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.h = nn.ModuleList([GPT2Block(c, i) for i in range(c["n_layer"])])
        self.ln_f = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])


class GPT2LMHeadModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = GPT2Model(c)

    def decode(self, ids, cache, attention_mask=None):
        """Logits [batch, seq, vocab] of the new tokens `ids` after the cache, and the grown cache."""
        t = self.transformer
        past = 0 if cache is None else cache[0][0].shape[2]
        b, s = ids.shape
        if attention_mask is None:
            attention_mask = torch.ones(b, past + s, dtype=torch.long)
        positions = torch.arange(past, past + s)[None, :]
        x = t.wte(ids) + t.wpe(positions)
        mask = causal_mask(attention_mask, s, past, x.dtype)
        presents = []
        for i, block in enumerate(t.h):
            x, present = block(x, mask, None if cache is None else cache[i])
            presents.append(present)
        return t.ln_f(x) @ t.wte.weight.T, presents


def is_norm(name):
    return ".ln_" in name


def generate(out):
    generator = torch.Generator().manual_seed(0)
    model = GPT2LMHeadModel(CONFIG)
    weights = init_weights(model, generator, is_norm)
    model = model.double()
    labels = [[t if m else -100 for t, m in zip(row, mask)] for row, mask in zip(INPUT_IDS, ATTENTION_MASK)]
    inputs = {"input_ids": INPUT_IDS, "attention_mask": ATTENTION_MASK, "token_type_ids": [[0] * 7] * 2, "labels": labels}
    generation = generation_record(model, PROMPT, NEW_TOKENS)
    write_fixture(os.path.join(out, "causal-lm"), CONFIG, model, weights, inputs, generation)


def main():
    generate_main(__doc__, generate)


if __name__ == "__main__":
    main()
