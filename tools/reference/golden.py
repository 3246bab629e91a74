"""`generate`: golden fixtures for tunefleet's model tests (see README.md)."""
import os

import torch

import safetensors_io as st
from fixture_io import write_config, write_json, write_model_golden
from bert_reference import ARCHITECTURES, MODELS, batch_tensors, cross_entropy

SEED = 0
CONFIG = {
    "model_type": "bert",
    "vocab_size": 99,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,  # in the config; the golden computation runs with dropout off
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 64,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "classifier_dropout": None,
}
LABELS = {
    "sequence-classification": ["negative", "neutral", "positive"],
    "token-classification": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
}
PAD, CLS, SEP = 0, 1, 2
# Batch 3 x seq 8: row 0 a sentence pair (segments 0/1), rows 1 and 2 padded.
INPUT_IDS = [
    [CLS, 17, 42, 8, SEP, 63, 25, SEP],
    [CLS, 91, 5, 77, 36, SEP, PAD, PAD],
    [CLS, 54, SEP, PAD, PAD, PAD, PAD, PAD],
]
TOKEN_TYPE_IDS = [[0, 0, 0, 0, 0, 1, 1, 1], [0] * 8, [0] * 8]
ATTENTION_MASK = [[1] * 8, [1] * 6 + [0] * 2, [1] * 3 + [0] * 5]


def task_config(task):
    labels = LABELS[task]
    return {
        **CONFIG,
        "architectures": [ARCHITECTURES[task]],
        "id2label": {str(i): label for i, label in enumerate(labels)},
        "label2id": {label: i for i, label in enumerate(labels)},
    }


def make_labels(task, generator):
    n = len(LABELS[task])
    if task == "sequence-classification":
        return [0, 2, 1]
    rows = []
    for ids in INPUT_IDS:
        drawn = torch.randint(0, n, (len(ids),), generator=generator).tolist()
        rows.append([-100 if t in (PAD, CLS, SEP) else drawn[j] for j, t in enumerate(ids)])
    return rows


def init_weights(model, generator):
    """N(0, 0.2) everywhere (gradients well above float32 noise); LayerNorm weight 1 + N(0, 0.1)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".LayerNorm." in name:
                base = 1.0 if name.endswith(".weight") else 0.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))


def write_task(out, task, generator):
    config = task_config(task)
    model = MODELS[task](config)
    init_weights(model, generator)
    weights = {name: p.detach().clone() for name, p in model.named_parameters()}  # float32, stored
    labels = make_labels(task, generator)
    inputs = {"input_ids": INPUT_IDS, "attention_mask": ATTENTION_MASK, "token_type_ids": TOKEN_TYPE_IDS, "labels": labels}

    model = model.double()
    ids, mask, types = batch_tensors(inputs)
    logits = model(ids, mask, types)
    loss = cross_entropy(logits, torch.tensor(labels, dtype=torch.long))
    loss.backward()

    write_model_golden(os.path.join(out, task), config, model, weights, inputs, logits, loss)
    return config, weights


def write_variants(out, config, weights):
    d = os.path.join(out, "sequence-classification")
    st.write(os.path.join(d, "model-f16.safetensors"), {n: st.f16(w.numpy()) for n, w in weights.items()})
    st.write(os.path.join(d, "model-bf16.safetensors"), {n: st.bf16(w) for n, w in weights.items()})
    legacy = os.path.join(out, "legacy")
    os.makedirs(legacy, exist_ok=True)
    write_config(os.path.join(legacy, "config.json"), config)
    st.write(os.path.join(legacy, "model.safetensors"), {legacy_name(n): st.f32(w.numpy()) for n, w in weights.items()})


def legacy_name(name):
    """Pre-2019 naming: no `bert.` prefix, LayerNorm gamma/beta."""
    if name.startswith("bert."):
        name = name[len("bert.") :]
    if ".LayerNorm." in name or name.startswith("LayerNorm."):
        name = name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
    return name


def write_parameter_shapes(out):
    """named_parameters() of every head at the golden config: the TS name table is checked against it."""
    shapes = {}
    for task in MODELS:
        config = {**task_config("sequence-classification"), "architectures": [ARCHITECTURES[task]]}
        shapes[task] = [[n, list(p.shape)] for n, p in MODELS[task](config).named_parameters()]
    write_json(os.path.join(out, "parameter-shapes.json"), shapes)


def generate(out):
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    os.makedirs(out, exist_ok=True)
    seq_config, seq_weights = write_task(out, "sequence-classification", generator)
    write_task(out, "token-classification", generator)
    write_variants(out, seq_config, seq_weights)
    write_parameter_shapes(out)
