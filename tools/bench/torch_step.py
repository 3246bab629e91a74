"""One BERT sequence-classification training step (forward, backward, AdamW) in plain PyTorch.

The reference for tools/bench/bench-train.ts: same shapes, dropout on, same thread count.
Prints one JSON line: {"model", "threads", "blas_threads", "bf16", "step_ms": [...], "samples_per_s", "peak_rss_mb"}.
With --bf16 the forward pass and the loss run under torch.autocast("cpu", dtype=torch.bfloat16), as
Hugging Face's Trainer does with bf16=True (oneDNN's bf16 matrix products; fp32 master weights).

  /usr/bin/python3 tools/bench/torch_step.py --model tiny --threads 2 --steps 5 [--bf16]
"""
import argparse
import ctypes
import json
import math
import os
import resource
import time

# libgomp reads this when torch loads it. Its default (spin-wait) made torch's OpenMP threads compete
# with OpenBLAS's for the same cores: 2 threads ran 3-10x slower than 1. Passive waiting is torch's
# best configuration here, so the 2-thread comparison is against a reference that does not collapse.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402 (after the OpenMP setting)
from torch import nn  # noqa: E402

SIZES = {  # layers, hidden, heads; intermediate = 4 * hidden, as tunefleet's BERT_PRESETS
    "tiny": (2, 128, 2),
    "mini": (4, 256, 4),
    "small": (4, 512, 8),
    "base": (12, 768, 12),
}
VOCAB, MAX_POSITIONS, TYPE_VOCAB, DROPOUT, EPS = 30522, 512, 2, 0.1, 1e-12


class Layer(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
        self.attn_out, self.attn_norm = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps=EPS)
        self.intermediate, self.output = nn.Linear(hidden, 4 * hidden), nn.Linear(4 * hidden, hidden)
        self.out_norm, self.dropout = nn.LayerNorm(hidden, eps=EPS), nn.Dropout(DROPOUT)

    def split(self, x):  # [batch, seq, hidden] -> [batch, heads, seq, head_dim]
        b, s, h = x.shape
        return x.view(b, s, self.heads, h // self.heads).transpose(1, 2)

    def forward(self, x, mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + mask
        context = self.dropout(scores.softmax(-1)) @ v
        context = context.transpose(1, 2).reshape(x.shape)
        x = self.attn_norm(x + self.dropout(self.attn_out(context)))
        ffn = self.output(nn.functional.gelu(self.intermediate(x)))
        return self.out_norm(x + self.dropout(ffn))


class Bert(nn.Module):
    def __init__(self, layers, hidden, heads, labels=2):
        super().__init__()
        self.words, self.positions = nn.Embedding(VOCAB, hidden), nn.Embedding(MAX_POSITIONS, hidden)
        self.types, self.norm = nn.Embedding(TYPE_VOCAB, hidden), nn.LayerNorm(hidden, eps=EPS)
        self.layers = nn.ModuleList(Layer(hidden, heads) for _ in range(layers))
        self.pooler, self.classifier, self.dropout = nn.Linear(hidden, hidden), nn.Linear(hidden, labels), nn.Dropout(DROPOUT)

    def forward(self, ids, types, attention_mask):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.dropout(self.norm(self.words(ids) + self.positions(positions) + self.types(types)))
        mask = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, mask)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return self.classifier(self.dropout(pooled))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny", choices=sorted(SIZES))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # torch.set_num_threads sets only OpenMP's threads: Debian's torch calls the pthread OpenBLAS, which
    # otherwise runs every GEMM on all cores (a "1 thread" run used 2 for its GEMMs). Same count for both.
    blas = ctypes.CDLL("libopenblas.so.0")  # the copy torch already loaded
    blas.openblas_set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Bert(*SIZES[args.model]).train()
    # Weight decay off for biases and LayerNorm weights, as Hugging Face's Trainer.
    decayed = [p for n, p in model.named_parameters() if p.dim() > 1]
    plain = [p for n, p in model.named_parameters() if p.dim() <= 1]
    optimizer = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.01}, {"params": plain, "weight_decay": 0.0}], lr=5e-5)
    size = args.batch * args.seq
    ids = (torch.arange(size) * 7919 % VOCAB).view(args.batch, args.seq)
    types = torch.zeros_like(ids)
    attention_mask = torch.ones_like(ids)
    labels = torch.arange(args.batch) % 2
    times = []
    for step in range(args.steps + 1):  # step 0 warms up
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            loss = nn.functional.cross_entropy(model(ids, types, attention_mask), labels)
        loss.backward()
        optimizer.step()
        elapsed = (time.perf_counter() - start) * 1000
        if step > 0:
            times.append(elapsed)
    median = sorted(times)[len(times) // 2]
    print(json.dumps({
        "model": args.model,
        "threads": torch.get_num_threads(),
        "blas_threads": blas.openblas_get_num_threads(),
        "bf16": args.bf16,
        "step_ms": [round(t, 1) for t in times],
        "samples_per_s": round(args.batch * 1000 / median, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
