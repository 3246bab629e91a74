#!/usr/bin/python3
"""Plain-Python reference of Hugging Face `tokenizers`' BpeTrainer (models/bpe/trainer.rs), for the
golden vocabularies and merges of `tunefleet train-tokenizer` (libs/tokenizer/src/training/).

Written from the Rust source, independently of the TypeScript: word counts after pre-tokenisation;
special tokens first; the alphabet (seen characters plus the initial alphabet) in code-point order;
then merges popped from a max-heap by (count, then the pair's ids ascending), stale counts pushed back
with the current count, each merge applied to the words its heap entry lists. Pre-tokenisers are
scanners written with `unicodedata` (Debian's Python has no `regex` module): GPT-2's split for
byte-level, SentencePiece's Metaspace, and Whitespace `\\w+|[^\\w\\s]+` (Python's `re`; equal to
Rust's on the Latin text of the fixtures).

  /usr/bin/python3 tools/reference/bpe_trainer_reference.py --out libs/tokenizer/fixtures/bpe-trainer

writes `corpus.txt` (the first 300 lines of ../shared/data/multi30k/train.en) and
`expected-<type>.json` ({vocab: [token of each id], merges: [[a, b], ...]}) for each type.
"""
import heapq
import os
import re
import unicodedata

from fixture_io import bytes_to_unicode, out_and_lines, write_json

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "multi30k", "train.en")
CASES = [
    # type, vocab_size, min_frequency, special tokens
    ("byte-level", 400, 2, ["<|endoftext|>"]),
    ("metaspace", 300, 2, ["<pad>", "</s>", "<unk>"]),
    ("whitespace", 300, 3, ["<pad>", "</s>", "<unk>"]),
]
SUFFIX = "</w>"


BYTE_CHARS = bytes_to_unicode()


def is_letter(c):
    return unicodedata.category(c).startswith("L")


def is_number(c):
    return unicodedata.category(c).startswith("N")


def gpt2_split(text):
    """'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"""
    out, i, n = [], 0, len(text)
    while i < n:
        for c in ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d"):
            if text.startswith(c, i):
                out.append(c)
                i += len(c)
                break
        else:
            j = i + 1 if text[i] == " " and i + 1 < n else i
            matched = False
            for cls in (is_letter, is_number, lambda c: not c.isspace() and not is_letter(c) and not is_number(c)):
                k = j
                while k < n and cls(text[k]):
                    k += 1
                if k > j:
                    out.append(text[i:k])
                    i = k
                    matched = True
                    break
            if matched:
                continue
            k = i
            while k < n and text[k].isspace():
                k += 1
            if k == n or k - i == 1:
                out.append(text[i:k])
                i = k
            else:  # \s+(?!\S): leave the last space to the next word
                out.append(text[i:k - 1])
                i = k - 1
    return out


def pre_tokenize(kind, line):
    if kind == "byte-level":
        return ["".join(BYTE_CHARS[b] for b in piece.encode("utf-8")) for piece in gpt2_split(line)]
    if kind == "metaspace":
        if not line:
            return []
        s = line.replace(" ", "\u2581")
        if not s.startswith("\u2581"):
            s = "\u2581" + s
        return ["\u2581" + p for p in s.split("\u2581")[1:]]
    return re.findall(r"\w+|[^\w\s]+", line)


def train(word_counts, vocab_size, min_frequency, specials, initial_alphabet=(), suffix=None):
    vocab, ids = [], {}

    def add(token):
        if token not in ids:
            ids[token] = len(vocab)
            vocab.append(token)
        return ids[token]

    for t in specials:
        add(t)
    words = [w for w in word_counts if w]
    alphabet = set(initial_alphabet) | {c for w in words for c in w}
    for c in sorted(alphabet):
        add(c)
    if suffix:
        for c in sorted({w[-1] for w in words}):
            add(c + suffix)
    symbols = [[ids[c + suffix] if suffix and k == len(w) - 1 else ids[c] for k, c in enumerate(w)] for w in words]
    counts = [word_counts[w] for w in words]
    pair_counts, where = {}, {}
    for wi, s in enumerate(symbols):
        for a, b in zip(s, s[1:]):
            pair_counts[(a, b)] = pair_counts.get((a, b), 0) + counts[wi]
            where.setdefault((a, b), set()).add(wi)
    heap, seq = [], [0]

    def push(pair, count, pos):
        seq[0] += 1
        heapq.heappush(heap, (-count, pair, seq[0], pos))

    def flush():
        for pair, pos in where.items():
            if pair_counts[pair] > 0:
                push(pair, pair_counts[pair], pos)
        where.clear()

    flush()
    merges = []
    while len(ids) < vocab_size and heap:
        neg, pair, _, pos = heapq.heappop(heap)
        if -neg != pair_counts[pair]:
            push(pair, pair_counts[pair], pos)
            continue
        if -neg < 1 or min_frequency > -neg:
            break
        a, b = pair
        new = add(vocab[a] + vocab[b])
        merges.append((pair, new))
        for wi in pos:
            s = symbols[wi]
            i = 0
            while i < len(s):
                if s[i] == a and i + 1 < len(s) and s[i + 1] == b:
                    changes = []
                    if i > 0:
                        changes += [((s[i - 1], a), -1), ((s[i - 1], new), 1)]
                    s[i:i + 2] = [new]
                    if i < len(s) - 1:
                        changes += [((b, s[i + 1]), -1), ((new, s[i + 1]), 1)]
                    for p, change in changes:
                        pair_counts[p] = pair_counts.get(p, 0) + change * counts[wi]
                        if change > 0:
                            where.setdefault(p, set()).add(wi)
                i += 1
        flush()
    last = {}
    for rank, (pair, _) in enumerate(merges):
        last[pair] = rank
    kept = [pair for rank, (pair, _) in enumerate(merges) if last[pair] == rank]
    return vocab, [[vocab[a], vocab[b]] for a, b in kept]


def main():
    args = out_and_lines(300)
    with open(CORPUS, encoding="utf-8") as f:
        lines = [next(f).rstrip("\n").rstrip("\r") for _ in range(args.lines)]
    with open(os.path.join(args.out, "corpus.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    for kind, vocab_size, min_frequency, specials in CASES:
        counts = {}
        for line in lines:
            for w in pre_tokenize(kind, line):
                counts[w] = counts.get(w, 0) + 1
        vocab, merges = train(
            counts, vocab_size, min_frequency, specials,
            initial_alphabet=BYTE_CHARS.values() if kind == "byte-level" else (),
            suffix=SUFFIX if kind == "whitespace" else None,
        )
        case = {"type": kind, "vocab_size": vocab_size, "min_frequency": min_frequency, "special_tokens": specials, "vocab": vocab, "merges": merges}
        write_json(os.path.join(args.out, f"expected-{kind}.json"), case, ensure_ascii=False, indent=0)
        print(kind, len(vocab), "tokens,", len(merges), "merges")


if __name__ == "__main__":
    main()
