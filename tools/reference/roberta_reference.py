#!/usr/bin/python3
"""Plain-PyTorch RoBERTa / XLM-RoBERTa (no transformers) matching Hugging Face's modeling_roberta.

RoBERTa is BERT's encoder (reused from bert_reference.py) under the `roberta.` prefix with its own
embeddings: positions are counted from padding_idx + 1 over the non-padding tokens
(`create_position_ids_from_input_ids`), padding tokens take position padding_idx, and both the word
and the position embedding have padding_idx = pad_token_id. Heads: RobertaClassificationHead
(dense, tanh, out_proj on <s>), a token classifier, RobertaLMHead (dense, GELU, layer_norm, decoder
tied to the word embeddings, bias). XLM-RoBERTa is the same modules with model_type "xlm-roberta".

The independent tokenizer reference (byte-level BPE for RoBERTa, Unigram/Viterbi for XLM-R) is in
this file too: `tokenize` writes the expected ids of the hand-made tokenizer.json files.

  /usr/bin/python3 tools/reference/roberta_reference.py generate --out libs/model/fixtures/golden-roberta
  /usr/bin/python3 tools/reference/roberta_reference.py tokenize --out libs/tokenizer/fixtures/families
"""
import argparse
import json
import math
import os

import torch
from torch import nn
import torch.nn.functional as F

import safetensors_io as st
from bert_reference import BertEncoder, cross_entropy
from fixture_io import bytes_to_unicode

ARCHITECTURES = {
    "sequence-classification": "RobertaForSequenceClassification",
    "token-classification": "RobertaForTokenClassification",
    "masked-lm": "RobertaForMaskedLM",
}


def position_ids(input_ids, padding_idx):
    mask = input_ids.ne(padding_idx).long()
    return torch.cumsum(mask, dim=1) * mask + padding_idx


class RobertaEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        pad = c["pad_token_id"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=pad)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"], padding_idx=pad)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.padding_idx = pad

    def forward(self, input_ids, token_type_ids):
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(position_ids(input_ids, self.padding_idx))
        return self.LayerNorm(x)


class RobertaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = RobertaEmbeddings(c)
        self.encoder = BertEncoder(c)

    def forward(self, input_ids, attention_mask, token_type_ids):
        dtype = self.embeddings.LayerNorm.weight.dtype
        extended = (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(torch.float32).min
        return self.encoder(self.embeddings(input_ids, token_type_ids), extended)


class RobertaClassificationHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.out_proj = nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, h):
        return self.out_proj(torch.tanh(self.dense(h[:, 0])))  # dropout off


class RobertaForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.roberta = RobertaModel(c)
        self.classifier = RobertaClassificationHead(c)

    def forward(self, ids, mask, types):
        return self.classifier(self.roberta(ids, mask, types))


class RobertaForTokenClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.roberta = RobertaModel(c)
        self.classifier = nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, ids, mask, types):
        return self.classifier(self.roberta(ids, mask, types))


class RobertaLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.layer_norm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"])
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.decoder.bias = self.bias

    def forward(self, h):
        return self.decoder(self.layer_norm(F.gelu(self.dense(h))))


class RobertaForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.roberta = RobertaModel(c)
        self.lm_head = RobertaLMHead(c)
        self.lm_head.decoder.weight = self.roberta.embeddings.word_embeddings.weight

    def forward(self, ids, mask, types):
        return self.lm_head(self.roberta(ids, mask, types))


MODELS = {
    "sequence-classification": RobertaForSequenceClassification,
    "token-classification": RobertaForTokenClassification,
    "masked-lm": RobertaForMaskedLM,
}

# ---------------------------------------------------------------------------------------------
# generate: golden fixtures

SEED = 0
CONFIG = {
    "model_type": "roberta",
    "vocab_size": 53,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,  # in the config; the golden computation runs with dropout off
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 20,
    "type_vocab_size": 1,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-5,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "position_embedding_type": "absolute",
    "classifier_dropout": None,
}
LABELS = {
    "sequence-classification": ["negative", "neutral", "positive"],
    "token-classification": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    "masked-lm": None,
}
BOS, PAD, EOS = 0, 1, 2
# Batch 3 x seq 8: row 0 a pair (<s> A </s></s> B </s>), rows 1 and 2 padded (positions stay at PAD).
INPUT_IDS = [
    [BOS, 17, 42, EOS, EOS, 33, 25, EOS],
    [BOS, 51, 5, 37, 36, EOS, PAD, PAD],
    [BOS, 44, EOS, PAD, PAD, PAD, PAD, PAD],
]
ATTENTION_MASK = [[1] * 8, [1] * 6 + [0] * 2, [1] * 3 + [0] * 5]
TOKEN_TYPE_IDS = [[0] * 8] * 3
SPECIAL = (BOS, PAD, EOS)


def task_config(task, config=CONFIG, architectures=ARCHITECTURES):
    out = {**config, "architectures": [architectures[task]]}
    if LABELS[task] is not None:
        out["id2label"] = {str(i): label for i, label in enumerate(LABELS[task])}
        out["label2id"] = {label: i for i, label in enumerate(LABELS[task])}
    return out


def make_labels(task, generator, input_ids=INPUT_IDS, special=SPECIAL, vocab=None):
    if task == "sequence-classification":
        return [0, 2, 1]
    n = len(LABELS[task]) if task == "token-classification" else vocab
    rows = []
    for ids in input_ids:
        drawn = torch.randint(0, n, (len(ids),), generator=generator).tolist()
        keep = torch.rand(len(ids), generator=generator).tolist()
        if task == "token-classification":
            rows.append([-100 if t in special else drawn[j] for j, t in enumerate(ids)])
        else:  # masked LM: about half of the real tokens carry a target
            rows.append([drawn[j] if t not in special and keep[j] < 0.5 else -100 for j, t in enumerate(ids)])
    return rows


def init_weights(model, generator):
    """N(0, 0.2) everywhere (gradients well above float32 noise); LayerNorm weight 1 + N(0, 0.1)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm." in name or "layer_norm." in name:
                base = 1.0 if name.endswith(".weight") else 0.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))


def write_json(path, value, sort_keys=False):
    with open(path, "w") as f:
        f.write(json.dumps(value, indent=2 if sort_keys else None, sort_keys=sort_keys) + "\n")


def write_task(out, task, generator, models, config, input_ids, attention_mask, token_type_ids, special):
    model = models[task](config)
    init_weights(model, generator)
    weights = {name: p.detach().clone() for name, p in model.named_parameters()}  # float32, stored
    labels = make_labels(task, generator, input_ids, special, config["vocab_size"])
    inputs = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids, "labels": labels}
    model = model.double()
    ids = torch.tensor(input_ids, dtype=torch.long)
    logits = model(ids, torch.tensor(attention_mask, dtype=torch.long), torch.tensor(token_type_ids, dtype=torch.long))
    loss = cross_entropy(logits, torch.tensor(labels, dtype=torch.long))
    loss.backward()
    d = os.path.join(out, task)
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), config, sort_keys=True)
    write_json(os.path.join(d, "inputs.json"), inputs)
    st.write(os.path.join(d, "model.safetensors"), {n: st.f32(w.numpy()) for n, w in weights.items()})
    expected = {"logits": st.f32(logits.detach().numpy()), "loss": st.f32(loss.detach().reshape(1).numpy())}
    for name, p in model.named_parameters():
        expected[f"grad.{name}"] = st.f32(p.grad.numpy())
    st.write(os.path.join(d, "expected.safetensors"), expected, {"loss": repr(loss.item())})


def write_parameter_shapes(out, models, config_of):
    shapes = {task: [[n, list(p.shape)] for n, p in models[task](config_of("sequence-classification")).named_parameters()] for task in models}
    write_json(os.path.join(out, "parameter-shapes.json"), shapes)


def generate(out):
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    os.makedirs(out, exist_ok=True)
    for task in MODELS:
        write_task(out, task, generator, MODELS, task_config(task), INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS, SPECIAL)
    write_parameter_shapes(out, MODELS, task_config)


# ---------------------------------------------------------------------------------------------
# tokenize: an independent byte-level BPE (GPT-2 / RoBERTa) and Unigram (XLM-R, SentencePiece)


def char_class(ch):
    if ch.isalpha():
        return "L"
    if ch.isnumeric():
        return "N"
    if ch.isspace():
        return "S"
    return "P"


CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


def gpt2_pre_tokenize(text):
    """GPT-2's split regex, written out: 's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"""
    out, i, n = [], 0, len(text)
    while i < n:
        c = next((c for c in CONTRACTIONS if text.startswith(c, i)), None)
        if c:
            out.append(c)
            i += len(c)
            continue
        j = i + 1 if text[i] == " " and i + 1 < n and char_class(text[i + 1]) != "S" else i
        cls = char_class(text[j])
        if cls in "LNP":
            k = j
            while k < n and char_class(text[k]) == cls and not (cls == "P" and any(text.startswith(c, k) for c in CONTRACTIONS) and k > j):
                k += 1
            out.append(text[i:k])
            i = k
            continue
        k = i  # whitespace run: leave the last space to prefix the next word (\s+(?!\S))
        while k < n and char_class(text[k]) == "S":
            k += 1
        if k < n and k - i > 1:
            k -= 1
        out.append(text[i:k])
        i = k
    return out


def bpe(word, ranks):
    parts = list(word)
    while len(parts) > 1:
        pairs = [(ranks.get((parts[i], parts[i + 1]), math.inf), i) for i in range(len(parts) - 1)]
        rank, i = min(pairs)
        if rank == math.inf:
            break
        a, b = parts[i], parts[i + 1]
        merged, j = [], 0
        while j < len(parts):
            if j < len(parts) - 1 and parts[j] == a and parts[j + 1] == b:
                merged.append(a + b)
                j += 2
            else:
                merged.append(parts[j])
                j += 1
        parts = merged
    return parts


def bpe_ids(tokenizer, text):
    model = tokenizer["model"]
    ranks = {tuple(m.split(" ") if isinstance(m, str) else m): r for r, m in enumerate(model["merges"])}
    table = bytes_to_unicode()
    ids = []
    for piece in gpt2_pre_tokenize(text):
        mapped = "".join(table[b] for b in piece.encode("utf-8"))
        ids.extend(model["vocab"][t] for t in bpe(mapped, ranks))
    return ids


def unigram_ids(tokenizer, text):
    """Metaspace (spaces -> '▁', '▁' prepended, split before each '▁'), then Viterbi over log-probs per piece."""
    model = tokenizer["model"]
    scores = {piece: (i, score) for i, (piece, score) in enumerate(model["vocab"])}
    unk = model["unk_id"]
    ids = []
    spaced = text.replace(" ", "▁")
    spaced = spaced if spaced.startswith("▁") else "▁" + spaced
    words, start = [], 0  # split before every '▁' (each '▁' merged with what follows it)
    for i in range(1, len(spaced) + 1):
        if i == len(spaced) or spaced[i] == "▁":
            words.append(spaced[start:i])
            start = i
    for word in words:
        best = [(-math.inf, None, None)] * (len(word) + 1)  # (score, start, id)
        best[0] = (0.0, None, None)
        for end in range(1, len(word) + 1):
            for start in range(end):
                if best[start][0] == -math.inf:
                    continue
                piece = word[start:end]
                if piece in scores:
                    pid, score = scores[piece]
                elif end - start == 1:
                    pid, score = unk, min(s for _, s in scores.values()) - 10.0  # unknown character
                else:
                    continue
                if best[start][0] + score > best[end][0]:
                    best[end] = (best[start][0] + score, start, pid)
        pieces, end = [], len(word)
        while end > 0:
            _, start, pid = best[end]
            pieces.append(pid)
            end = start
        merged = []  # consecutive unknowns fuse into one <unk>, as SentencePiece does
        for pid in reversed(pieces):
            if not (pid == unk and merged and merged[-1] == unk):
                merged.append(pid)
        ids.extend(merged)
    return ids


TOKENIZER_TEXTS = {
    "roberta-bpe": ["Hello world", "hello  there, world!", "The lower newest", "it's 2024", "café lowest", " leading space"],
    "xlm-r-unigram": ["Hello world", "hello there", "the lowest newer", "worldly hello", "héllo wörld", "new  lowest"],
}


BPE_MERGES = [
    "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld", "e l", "H el", "l o", "Hel lo", "h el", "hel lo", "Ġ t", "h e", "Ġt he",
    "r e", "Ġthe re", "Ġ l", "o w", "Ġl ow", "e r", "Ġlow er", "e s", "es t", "Ġlow est", "Ġ n", "e w", "Ġn ew",
    "Ġnew est", "T he", "' s", "2 0", "20 2", "c a", "ca f", "Ã ©", "Ġ 2",
]
UNIGRAM_PIECES = [
    ("▁", -2.0), ("▁hello", -3.0), ("▁world", -3.5), ("▁the", -3.1), ("▁there", -3.3), ("▁lo", -3.0), ("west", -3.2),
    ("▁low", -3.6), ("est", -3.8), ("er", -3.9), ("▁new", -3.7), ("ly", -4.1), ("▁he", -3.9), ("llo", -4.0),
    ("wor", -4.2), ("ld", -4.3), ("▁wor", -4.4), ("H", -5.0), ("h", -4.0), ("e", -4.0), ("l", -4.0), ("o", -4.0),
    ("w", -4.2), ("r", -4.3), ("d", -4.4), ("t", -4.5), ("n", -4.5), ("s", -4.6), ("y", -4.7),
]


def added(token_id, content, lstrip=False):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": lstrip, "rstrip": False, "normalized": False, "special": True}


def bpe_tokenizer_json():
    """A byte-level BPE tokenizer.json as RoBERTa's: <s> <pad> </s> <unk>, every byte, the merges' tokens, <mask>."""
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>"])}
    for ch in bytes_to_unicode().values():
        vocab.setdefault(ch, len(vocab))
    for merge in BPE_MERGES:
        vocab.setdefault(merge.replace(" ", ""), len(vocab))
    mask = len(vocab)
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "<s>"), added(1, "<pad>"), added(2, "</s>"), added(3, "<unk>"), added(mask, "<mask>", lstrip=True)],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0], "trim_offsets": True, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": BPE_MERGES},
    }


def unigram_tokenizer_json():
    """A Unigram tokenizer.json as XLM-R's (SentencePiece): <s> <pad> </s> <unk>, scored pieces, <mask>; Metaspace."""
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]] + [list(p) for p in UNIGRAM_PIECES] + [["<mask>", 0.0]]
    mask = len(vocab) - 1
    single = [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}]
    pair = single + [{"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}]
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "<s>"), added(1, "<pad>"), added(2, "</s>"), added(3, "<unk>"), added(mask, "<mask>", lstrip=True)],
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "post_processor": {
            "type": "TemplateProcessing", "single": single, "pair": pair,
            "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}},
        },
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
    }


def tokenize(out):
    """Writes the hand-made tokenizer.json files and the ids this file's own BPE / Unigram give for the texts."""
    for name, build, encode in (("roberta-bpe", bpe_tokenizer_json, bpe_ids), ("xlm-r-unigram", unigram_tokenizer_json, unigram_ids)):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        tokenizer = build()
        with open(os.path.join(d, "tokenizer.json"), "w") as f:
            f.write(json.dumps(tokenizer, indent=2, ensure_ascii=False) + "\n")
        golden = [{"text": t, "ids": encode(tokenizer, t)} for t in TOKENIZER_TEXTS[name]]
        with open(os.path.join(d, "golden-ids.json"), "w") as f:
            f.write(json.dumps(golden, indent=2, ensure_ascii=False) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="write the golden model fixtures").add_argument("--out", required=True)
    sub.add_parser("tokenize", help="write golden ids for the hand-made tokenizer.json files").add_argument("--out", required=True)
    args = parser.parse_args()
    generate(args.out) if args.command == "generate" else tokenize(args.out)


if __name__ == "__main__":
    main()
