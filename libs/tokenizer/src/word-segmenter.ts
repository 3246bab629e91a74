import type { Tokenizer } from '@huggingface/tokenizers';
import { TokenizerError } from './tokenizer-error.ts';

/** Tokens of one text and, per token, the index of the word it came from. */
export interface SegmentedText {
  readonly tokens: string[];
  readonly wordIds: number[];
}

/** Bounds the word -> word pieces cache (SST-2 has about 16k distinct words). */
const MAX_CACHED_WORDS = 100_000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Runs the library's own normalizer, pre-tokenizer and WordPiece model, in the order
 * `Tokenizer.encode` does, but one pre-token at a time so that each token knows its word: the
 * library's encoding carries no word ids. Added tokens (`[MASK]`, ...) written in the text are kept
 * whole, as in Hugging Face, and count as one word.
 */
export class WordSegmenter {
  private readonly addedTokenPattern: RegExp | null;
  private readonly addedTokens: ReadonlySet<string>;
  private readonly cache = new Map<string, string[]>();

  constructor(
    private readonly hf: Tokenizer,
    addedTokens: readonly string[],
  ) {
    this.addedTokens = new Set(addedTokens);
    // Longest first, so that a token that contains another one wins.
    const alternatives = [...this.addedTokens].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.addedTokenPattern = alternatives.length > 0 ? new RegExp(`(${alternatives.join('|')})`, 'u') : null;
  }

  /** A free text: each pre-token (word or punctuation mark) is one word. */
  segmentText(text: string): SegmentedText {
    const out: SegmentedText = { tokens: [], wordIds: [] };
    let wordId = 0;
    for (const pieces of this.words(text)) {
      for (const piece of pieces) {
        out.tokens.push(piece);
        out.wordIds.push(wordId);
      }
      wordId += 1;
    }
    return out;
  }

  /** Pre-split words (Hugging Face's is_split_into_words): every piece of `words[i]` has word id i. */
  segmentWords(words: readonly string[]): SegmentedText {
    const out: SegmentedText = { tokens: [], wordIds: [] };
    words.forEach((word, wordId) => {
      for (const pieces of this.words(word)) {
        for (const piece of pieces) {
          out.tokens.push(piece);
          out.wordIds.push(wordId);
        }
      }
    });
    return out;
  }

  /** The word pieces of each word of `text`, in order. */
  private *words(text: string): Generator<string[]> {
    const sections = this.addedTokenPattern ? text.split(this.addedTokenPattern) : [text];
    for (const section of sections) {
      if (section.length === 0) continue;
      if (this.addedTokens.has(section)) {
        yield [section];
        continue;
      }
      const normalized = this.hf.normalizer ? this.hf.normalizer(section) : section;
      if (normalized.length === 0) continue;
      const words = this.hf.pre_tokenizer ? this.hf.pre_tokenizer(normalized) : [normalized];
      for (const word of words) yield this.wordPieces(word);
    }
  }

  private wordPieces(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const model = this.hf.model;
    if (!model) throw new TokenizerError('TOKENIZER_INVALID', 'tokenizer.json has no model'); // the schema requires one
    const pieces = model([word]);
    if (this.cache.size >= MAX_CACHED_WORDS) this.cache.clear();
    this.cache.set(word, pieces);
    return pieces;
  }
}
