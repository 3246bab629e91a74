#!/usr/bin/python3
"""Plain-PyTorch DistilBERT (no transformers) matching Hugging Face's modeling_distilbert (eager).

Module attribute names equal Hugging Face's, so `state_dict()` keys are checkpoint keys: word +
learned position embeddings (no token types), LayerNorm (eps 1e-12); per layer MultiHeadSelfAttention
(q_lin, k_lin, v_lin, out_lin; q scaled by 1/sqrt(headDim), masked scores filled with float32 min,
no dropout after out_lin), sa_layer_norm, FFN lin1 + GELU + lin2, output_layer_norm. Heads:
pre_classifier + ReLU + classifier on token 0; a token classifier; vocab_transform + GELU +
vocab_layer_norm + vocab_projector (tied to the word embeddings, own bias). float64, dropout off.

  /usr/bin/python3 tools/reference/distilbert_reference.py generate --out libs/model/fixtures/golden-distilbert
"""
import argparse
import math
import os

import torch
from torch import nn
import torch.nn.functional as F

import roberta_reference as common

ARCHITECTURES = {
    "sequence-classification": "DistilBertForSequenceClassification",
    "token-classification": "DistilBertForTokenClassification",
    "masked-lm": "DistilBertForMaskedLM",
}
EPS = 1e-12


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["dim"], padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["dim"])
        self.LayerNorm = nn.LayerNorm(c["dim"], eps=EPS)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        return self.LayerNorm(self.word_embeddings(input_ids) + self.position_embeddings(positions))


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_heads = c["n_heads"]
        self.dim = c["dim"]
        self.q_lin = nn.Linear(c["dim"], c["dim"])
        self.k_lin = nn.Linear(c["dim"], c["dim"])
        self.v_lin = nn.Linear(c["dim"], c["dim"])
        self.out_lin = nn.Linear(c["dim"], c["dim"])

    def forward(self, x, mask):
        bs, q_length, dim = x.shape
        head = dim // self.n_heads

        def shape(t):
            return t.view(bs, -1, self.n_heads, head).transpose(1, 2)

        q = shape(self.q_lin(x)) / math.sqrt(head)
        k, v = shape(self.k_lin(x)), shape(self.v_lin(x))
        scores = q @ k.transpose(2, 3)  # [bs, heads, q, k]
        masked = (mask == 0).view(bs, 1, 1, -1).expand_as(scores)
        scores = scores.masked_fill(masked, torch.finfo(scores.dtype).min)
        context = F.softmax(scores, dim=-1) @ v
        return self.out_lin(context.transpose(1, 2).reshape(bs, -1, dim))


class FFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lin1 = nn.Linear(c["dim"], c["hidden_dim"])
        self.lin2 = nn.Linear(c["hidden_dim"], c["dim"])

    def forward(self, x):
        return self.lin2(F.gelu(self.lin1(x)))


class TransformerBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = MultiHeadSelfAttention(c)
        self.sa_layer_norm = nn.LayerNorm(c["dim"], eps=EPS)
        self.ffn = FFN(c)
        self.output_layer_norm = nn.LayerNorm(c["dim"], eps=EPS)

    def forward(self, x, mask):
        sa = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(sa) + sa)


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(c) for _ in range(c["n_layers"])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class DistilBertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.transformer = Transformer(c)

    def forward(self, input_ids, attention_mask):
        return self.transformer(self.embeddings(input_ids), attention_mask)


class DistilBertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.distilbert = DistilBertModel(c)
        self.pre_classifier = nn.Linear(c["dim"], c["dim"])
        self.classifier = nn.Linear(c["dim"], len(c["id2label"]))

    def forward(self, ids, mask, types):
        return self.classifier(F.relu(self.pre_classifier(self.distilbert(ids, mask)[:, 0])))


class DistilBertForTokenClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.distilbert = DistilBertModel(c)
        self.classifier = nn.Linear(c["dim"], len(c["id2label"]))

    def forward(self, ids, mask, types):
        return self.classifier(self.distilbert(ids, mask))


class DistilBertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.distilbert = DistilBertModel(c)
        self.vocab_transform = nn.Linear(c["dim"], c["dim"])
        self.vocab_layer_norm = nn.LayerNorm(c["dim"], eps=EPS)
        self.vocab_projector = nn.Linear(c["dim"], c["vocab_size"])
        self.vocab_projector.weight = self.distilbert.embeddings.word_embeddings.weight

    def forward(self, ids, mask, types):
        return self.vocab_projector(self.vocab_layer_norm(F.gelu(self.vocab_transform(self.distilbert(ids, mask)))))


MODELS = {
    "sequence-classification": DistilBertForSequenceClassification,
    "token-classification": DistilBertForTokenClassification,
    "masked-lm": DistilBertForMaskedLM,
}

CONFIG = {
    "model_type": "distilbert",
    "vocab_size": 61,
    "dim": 32,
    "n_layers": 2,
    "n_heads": 4,
    "hidden_dim": 37,
    "activation": "gelu",
    "dropout": 0.1,  # in the config; the golden computation runs with dropout off
    "attention_dropout": 0.1,
    "seq_classif_dropout": 0.2,
    "qa_dropout": 0.1,
    "max_position_embeddings": 16,
    "sinusoidal_pos_embds": False,
    "initializer_range": 0.02,
    "pad_token_id": 0,
    "tie_weights_": True,
}
PAD, CLS, SEP = 0, 1, 2
INPUT_IDS = [
    [CLS, 17, 42, 8, SEP, 53, 25, SEP],
    [CLS, 59, 5, 37, 36, SEP, PAD, PAD],
    [CLS, 44, SEP, PAD, PAD, PAD, PAD, PAD],
]
ATTENTION_MASK = [[1] * 8, [1] * 6 + [0] * 2, [1] * 3 + [0] * 5]
TOKEN_TYPE_IDS = [[0] * 8] * 3  # DistilBERT takes none; the batch carries zeros


def task_config(task):
    return common.task_config(task, CONFIG, ARCHITECTURES)


def generate(out):
    torch.manual_seed(common.SEED)
    generator = torch.Generator().manual_seed(common.SEED)
    os.makedirs(out, exist_ok=True)
    for task in MODELS:
        common.write_task(out, task, generator, MODELS, task_config(task), INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS, (PAD, CLS, SEP))
    common.write_parameter_shapes(out, MODELS, task_config)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="write the golden fixtures").add_argument("--out", required=True)
    generate(parser.parse_args().out)


if __name__ == "__main__":
    main()
