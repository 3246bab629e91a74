/**
 * The three pre-tokenisations `train-tokenizer` offers, each as Hugging Face `tokenizers` runs it
 * (so training counts the words the trained tokenizer.json will later see) and as its tokenizer.json
 * entries (pre_tokenizer, decoder):
 *
 * - `byte-level`: GPT-2's ByteLevel (add_prefix_space false, use_regex true): GPT-2's split regex,
 *   then every UTF-8 byte mapped to a printable character (bytes_to_unicode; a space is `Ġ`);
 * - `metaspace`: SentencePiece-style Metaspace (replacement `▁`, prepend_scheme always, split):
 *   spaces become `▁`, one `▁` is put in front, and the text splits before every `▁`;
 * - `whitespace`: Whitespace (`\w+|[^\w\s]+`, Unicode classes as Rust's regex has them), with the
 *   end-of-word suffix `</w>` and the BPEDecoder, as Hugging Face's CharBPETokenizer, so that decoding
 *   can put the spaces back.
 */
export type PreTokenizerType = 'byte-level' | 'metaspace' | 'whitespace';
export const PRE_TOKENIZER_TYPES: readonly PreTokenizerType[] = ['byte-level', 'metaspace', 'whitespace'];

export interface PreTokenizer {
  readonly type: PreTokenizerType;
  /** Pre-tokens of one line, as the BPE model sees them. */
  split(text: string): string[];
  readonly preTokenizerJson: Record<string, unknown>;
  readonly decoderJson: Record<string, unknown>;
  readonly initialAlphabet: readonly string[];
  readonly endOfWordSuffix?: string;
}

/** GPT-2's pattern (tokenizers' ByteLevel `use_regex`). */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
/** Rust regex's Unicode `\w` and `\s`. */
const WHITESPACE_SPLIT = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]+|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}\p{White_Space}]+/gu;
export const METASPACE = '\u2581';
export const END_OF_WORD_SUFFIX = '</w>';

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 upwards. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const chars: string[] = [];
  let next = 0;
  for (let b = 0; b < 256; b++) chars.push(String.fromCodePoint(printable(b) ? b : 256 + next++));
  return chars;
})();

const encoder = new TextEncoder();

function byteLevel(piece: string): string {
  let out = '';
  for (const byte of encoder.encode(piece)) out += BYTE_TO_CHAR[byte];
  return out;
}

export function preTokenizerFor(type: PreTokenizerType): PreTokenizer {
  switch (type) {
    case 'byte-level': {
      const settings = { add_prefix_space: false, trim_offsets: true, use_regex: true };
      return {
        type,
        split: (text) => (text.match(GPT2_SPLIT) ?? []).map(byteLevel),
        preTokenizerJson: { type: 'ByteLevel', ...settings },
        decoderJson: { type: 'ByteLevel', ...settings },
        initialAlphabet: BYTE_TO_CHAR,
      };
    }
    case 'metaspace': {
      const settings = { replacement: METASPACE, prepend_scheme: 'always', split: true };
      return {
        type,
        split: (text) => {
          if (text.length === 0) return [];
          let replaced = text.replaceAll(' ', METASPACE);
          if (!replaced.startsWith(METASPACE)) replaced = METASPACE + replaced;
          // Split before every ▁ (MergedWithNext).
          return replaced.split(/(?=\u2581)/u);
        },
        preTokenizerJson: { type: 'Metaspace', ...settings },
        decoderJson: { type: 'Metaspace', ...settings },
        initialAlphabet: [],
      };
    }
    case 'whitespace':
      return {
        type,
        split: (text) => text.match(WHITESPACE_SPLIT) ?? [],
        preTokenizerJson: { type: 'Whitespace' },
        decoderJson: { type: 'BPEDecoder', suffix: END_OF_WORD_SUFFIX },
        initialAlphabet: [],
        endOfWordSuffix: END_OF_WORD_SUFFIX,
      };
  }
}
