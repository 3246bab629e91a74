#!/usr/bin/python3
"""Plain-PyTorch BERT (no transformers) that matches Hugging Face's modeling_bert exactly.

Module attribute names equal Hugging Face's, so `state_dict()` keys are checkpoint keys.
Numerics run in float64 from float32 weights, with dropout off: the golden values are the exact
function of the stored weights, and float32 implementations are compared to them within tolerance.

  /usr/bin/python3 tools/reference/bert_reference.py generate --out libs/model/fixtures/golden
  /usr/bin/python3 tools/reference/bert_reference.py logits --model DIR --inputs inputs.json [--task T]
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

import safetensors_io as st

TASKS = ("sequence-classification", "token-classification")
ARCHITECTURES = {
    "sequence-classification": "BertForSequenceClassification",
    "token-classification": "BertForTokenClassification",
    "masked-lm": "BertForMaskedLM",
}


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, input_ids, token_type_ids):
        seq = input_ids.shape[1]
        position_ids = torch.arange(seq, device=input_ids.device).unsqueeze(0)
        # padding_idx: Hugging Face's word embedding row pad_token_id never receives a gradient.
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(position_ids)
        return self.LayerNorm(x)  # [batch, seq, hidden]


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["num_attention_heads"]
        self.head_dim = c["hidden_size"] // self.heads
        self.query = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.key = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.value = nn.Linear(c["hidden_size"], c["hidden_size"])

    def split(self, x):  # [batch, seq, hidden] -> [batch, heads, seq, headDim]
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, extended_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + extended_mask  # [batch, heads, seq, seq]
        context = F.softmax(scores, dim=-1) @ v  # [batch, heads, seq, headDim]
        b, _, s, _ = context.shape
        return context.permute(0, 2, 1, 3).reshape(b, s, -1)


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, h, residual):
        return self.LayerNorm(self.dense(h) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, x, extended_mask):
        return self.output(self.self(x, extended_mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact erf GELU ("gelu")


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, h, residual):
        return self.LayerNorm(self.dense(h) + residual)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, x, extended_mask):
        a = self.attention(x, extended_mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, extended_mask):
        for layer in self.layer:
            x = layer(x, extended_mask)
        return x


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))  # [batch, hidden], token 0 ([CLS])


class BertModel(nn.Module):
    def __init__(self, c, add_pooling_layer):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c) if add_pooling_layer else None

    def forward(self, input_ids, attention_mask, token_type_ids):
        dtype = self.embeddings.LayerNorm.weight.dtype
        # Hugging Face's extended mask: 0 where attended, float32 min where padded; [batch, 1, 1, seq].
        extended = (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(torch.float32).min
        h = self.encoder(self.embeddings(input_ids, token_type_ids), extended)
        return h, (self.pooler(h) if self.pooler is not None else None)


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c, add_pooling_layer=True)
        self.classifier = nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.classifier(self.bert(input_ids, attention_mask, token_type_ids)[1])  # [batch, labels]


class BertForTokenClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c, add_pooling_layer=False)
        self.classifier = nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.classifier(self.bert(input_ids, attention_mask, token_type_ids)[0])  # [batch, seq, labels]


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, h):
        return self.LayerNorm(F.gelu(self.dense(h)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = BertPredictionHeadTransform(c)
        self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.decoder.bias = self.bias


class BertOnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)


class BertForMaskedLM(nn.Module):
    """Names and shapes only (parameter-shapes.json); decoder.weight is tied to word_embeddings."""

    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(c)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight


MODELS = {
    "sequence-classification": BertForSequenceClassification,
    "token-classification": BertForTokenClassification,
    "masked-lm": BertForMaskedLM,
}


def cross_entropy(logits, labels):
    """Hugging Face's loss: mean cross-entropy over labels != -100."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


def batch_tensors(inputs):
    ids = torch.tensor(inputs["input_ids"], dtype=torch.long)
    mask = torch.tensor(inputs.get("attention_mask", np.ones(ids.shape, dtype=np.int64).tolist()), dtype=torch.long)
    types = torch.tensor(inputs.get("token_type_ids", np.zeros(ids.shape, dtype=np.int64).tolist()), dtype=torch.long)
    return ids, mask, types


# ---------------------------------------------------------------------------------------------
# logits: run a checkpoint written by any tool

LEGACY_SUFFIXES = ((".gamma", ".weight"), (".beta", ".bias"))


def normalize_names(tensors, model_keys):
    """Old checkpoints: LayerNorm gamma/beta and no `bert.` prefix on encoder weights."""
    out = {}
    for name, value in tensors.items():
        for old, new in LEGACY_SUFFIXES:
            if name.endswith(old):
                name = name[: -len(old)] + new
        if name not in model_keys and "bert." + name in model_keys:
            name = "bert." + name
        out[name] = value
    return out


def task_from_config(config):
    for task, arch in ARCHITECTURES.items():
        if arch in config.get("architectures", []):
            return task
    raise SystemExit("config.json has no known architectures entry; pass --task")


def run_logits(args):
    with open(os.path.join(args.model, "config.json")) as f:
        config = reference_config(json.load(f))
    task = args.task or task_from_config(config)
    if task not in TASKS:
        raise SystemExit(f"--task must be one of {TASKS}, got {task}")
    model = MODELS[task](config)
    tensors = st.read(os.path.join(args.model, "model.safetensors"))
    state = {k: torch.from_numpy(v) for k, v in normalize_names(tensors, set(model.state_dict())).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise SystemExit(f"{args.model}/model.safetensors: missing {missing}, unexpected {unexpected}")
    with open(args.inputs) as f:
        ids, mask, types = batch_tensors(json.load(f))
    model = model.double().eval()
    with torch.no_grad():
        logits = model(ids, mask, types)
    json.dump(logits.tolist(), sys.stdout)
    sys.stdout.write("\n")


def reference_config(config):
    """Hugging Face defaults for the fields the reference reads."""
    defaults = {"pad_token_id": 0, "layer_norm_eps": 1e-12, "type_vocab_size": 2, "max_position_embeddings": 512}
    if config.get("hidden_act", "gelu") != "gelu":
        raise SystemExit(f"hidden_act {config['hidden_act']} is not implemented here (only exact 'gelu')")
    if "id2label" not in config:
        config["id2label"] = {str(i): f"LABEL_{i}" for i in range(config.get("num_labels", 2))}
    return {**defaults, **config}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the golden fixtures")
    gen.add_argument("--out", required=True)
    lg = sub.add_parser("logits", help="print logits of a checkpoint directory as JSON")
    lg.add_argument("--model", required=True)
    lg.add_argument("--inputs", required=True)
    lg.add_argument("--task", choices=TASKS)
    args = parser.parse_args()
    if args.command == "generate":
        import golden

        golden.generate(args.out)
    else:
        run_logits(args)


if __name__ == "__main__":
    main()
