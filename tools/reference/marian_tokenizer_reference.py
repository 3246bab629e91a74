#!/usr/bin/python3
"""Golden cases for libs/tokenizer's Marian tokenizer (src/sentencepiece/): two tiny SentencePiece
Unigram models trained with Debian's python3-sentencepiece on the first lines of Multi30k, a
vocab.json laid out as Marian checkpoints ship it, and the ids transformers' MarianTokenizer gives,
reimplemented here in plain Python on top of `sentencepiece` (transformers is not installable here):

  tokenize(text):    split on the special tokens </s> <unk> <pad> (kept whole), _tokenize the rest
  _tokenize(text):   code, text = remove_language_code(text)   # ">>de<<" prefix, language_code_re
                     return code + spm.encode(text, out_type=str)
  _convert_token_to_id(piece) = encoder.get(piece, encoder[unk_token])
  build_inputs_with_special_tokens(ids) = ids + [eos_token_id]
  source text: source.spm; text_target: target.spm (one shared vocab.json)
  decode: target.spm's decode_pieces of the non-special pieces

  /usr/bin/python3 tools/reference/marian_tokenizer_reference.py --out libs/tokenizer/fixtures/marian

The source model is plain (nmt_nfkc, no byte fallback); the target model has the identity normalizer
(which keeps the file small: no precompiled charsmap), byte_fallback and a
character coverage below 1, so rare characters become <0xXX> pieces. vocab.json leaves out a few
target pieces on purpose: MarianTokenizer maps them to <unk>.
"""
import os
import re

import sentencepiece as spm

from fixture_io import out_and_lines, write_json

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "multi30k")
LANGUAGE_CODE = re.compile(">>.+<<")
SPECIALS = ("</s>", "<unk>", "<pad>")
SPECIAL_SPLIT = re.compile("(</s>|<unk>|<pad>)")
EXTRA_TEXTS = [
    "",
    "   Two  dogs\tplay  in the   snow.  ",
    ">>de<< A man rides a bike.",
    "Café ﬁne ① Ｆｕｌｌｗｉｄｔｈ ½ naïve",
    "Zoë's crème brûlée costs 5€ — 🙂 ok",
    "Ein Hund läuft über die Straße. Größe: ÄÖÜ ß",
    "unknownzzzqqq xylophone",
    "no\u00a0break\u3000wide\u200bzero\x07bell\r\nnew line",
    "</s> <unk> literal specials",
]


def train(lines, prefix, vocab_size, **extra):
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_prefix=prefix,
        model_type="unigram",
        vocab_size=vocab_size,
        num_threads=1,
        seed_sentencepiece_size=100000,
        **extra,
    )
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def marian_ids(sp, vocab, text):
    # PreTrainedTokenizer.tokenize: the text is first split on the special tokens (kept whole, no
    # stripping), then _tokenize runs on every other chunk.
    pieces = []
    for chunk in SPECIAL_SPLIT.split(text):
        if chunk in SPECIALS:
            pieces.append(chunk)
            continue
        match = LANGUAGE_CODE.match(chunk)
        code = [match.group(0)] if match else []
        pieces += code + sp.encode(LANGUAGE_CODE.sub("", chunk), out_type=str)
    return pieces, [vocab.get(p, vocab["<unk>"]) for p in pieces] + [vocab["</s>"]]


def main():
    args = out_and_lines(400)

    def head(name, n):
        with open(os.path.join(DATA, name), encoding="utf-8") as f:
            return [next(f).rstrip("\n") for _ in range(n)]

    src_lines, tgt_lines = head("train.en", args.lines), head("train.de", args.lines)
    src = train(src_lines, os.path.join(args.out, "source"), 300)
    tgt = train(tgt_lines, os.path.join(args.out, "target"), 400, byte_fallback=True, character_coverage=0.995,
                normalization_rule_name="identity")
    for side in ("source", "target"):
        os.replace(os.path.join(args.out, side + ".model"), os.path.join(args.out, side + ".spm"))
        os.remove(os.path.join(args.out, side + ".vocab"))

    # Marian's layout: </s> 0, <unk> 1, the pieces, <pad> last; language codes are pieces too.
    vocab = {"</s>": 0, "<unk>": 1}
    dropped = []
    for sp, side in ((src, "source"), (tgt, "target")):
        for i in range(sp.get_piece_size()):
            piece = sp.id_to_piece(i)
            if sp.is_control(i) or sp.is_unknown(i) or piece in vocab:
                continue
            if side == "target" and not sp.is_byte(i) and i % 23 == 0:
                dropped.append(piece)
                continue
            vocab[piece] = len(vocab)
    vocab[">>de<<"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    write_json(os.path.join(args.out, "vocab.json"), vocab, ensure_ascii=False, indent=1)
    write_json(os.path.join(args.out, "tokenizer_config.json"),
               {"source_lang": "en", "target_lang": "de", "unk_token": "<unk>", "eos_token": "</s>", "pad_token": "<pad>",
                "model_max_length": 512, "separate_vocabs": False, "tokenizer_class": "MarianTokenizer"}, indent=1)

    cases = []
    texts = head("test_2016_flickr.en", 8), head("test_2016_flickr.de", 8)
    for side, sp, sample in (("source", src, texts[0]), ("target", tgt, texts[1])):
        for text in sample + EXTRA_TEXTS:
            pieces, ids = marian_ids(sp, vocab, text)
            cases.append({"side": side, "text": text, "pieces": pieces, "ids": ids, "decoded": sp.decode_pieces([p for p in pieces if p not in ("</s>", "<unk>", "<pad>")])})
    write_json(os.path.join(args.out, "expected-ids.json"), {"dropped_from_vocab": dropped, "cases": cases}, ensure_ascii=False, indent=1)
    print(len(vocab), "vocab entries,", len(dropped), "dropped,", len(cases), "cases")


if __name__ == "__main__":
    main()
