import { TokenizerError } from '../tokenizer-error.ts';
import { MODEL_TYPE_UNIGRAM, PieceType, type SentencePieceModel } from './sentencepiece-model.ts';
import { SpmNormalizer } from './spm-normalizer.ts';

/** SentencePiece's penalty under the lowest piece score for an unknown character (kUnkPenalty). */
const UNK_PENALTY = 10;
const utf8 = new TextEncoder();

/**
 * A SentencePiece Unigram model as `SentencePieceProcessor.encode(text, out_type=str)` runs it:
 * normalise (SpmNormalizer), then Viterbi over the pieces (unigram_model.cc EncodeOptimized: scores
 * summed in float32; at each end position the first best path is kept; a character no piece covers is
 * <unk> scored min_score - 10; user-defined pieces score length * max_score - 0.1), consecutive unknown
 * pieces merged into one, and, with byte_fallback, each unknown piece written as its UTF-8 bytes
 * (`<0xE2>`...). Not supported (TOKENIZER_UNSUPPORTED): BPE/word/char models and
 * treat_whitespace_as_suffix; sampling (enable_sampling, nbest) is not offered.
 */
export class UnigramModel {
  readonly pieces: readonly string[];
  /** Character trie of the NORMAL and USER_DEFINED pieces (SentencePiece's darts trie, by character). */
  private readonly trie: TrieNode = { id: -1, children: new Map() };
  private readonly scores: Float32Array;
  private readonly userDefined: ReadonlySet<number>;
  private readonly unkId: number;
  private readonly unkScore: number;
  private readonly maxScore: number;
  private readonly byteFallback: boolean;
  private readonly normalizer: SpmNormalizer;

  constructor(model: SentencePieceModel, source: string) {
    if (model.trainerSpec.modelType !== MODEL_TYPE_UNIGRAM) {
      throw new TokenizerError('TOKENIZER_UNSUPPORTED', `${source}: SentencePiece model_type ${model.trainerSpec.modelType} is not supported; only Unigram (1) models are`);
    }
    if (model.trainerSpec.treatWhitespaceAsSuffix) {
      throw new TokenizerError('TOKENIZER_UNSUPPORTED', `${source}: trainer_spec.treat_whitespace_as_suffix is not supported`);
    }
    this.pieces = model.pieces.map((p) => p.piece);
    this.scores = Float32Array.from(model.pieces.map((p) => p.score));
    const userDefined = new Set<number>();
    let [minScore, maxScore, unkId] = [Infinity, -Infinity, -1];
    model.pieces.forEach((p, id) => {
      if (p.type === PieceType.UNKNOWN) unkId = id;
      if (p.type === PieceType.NORMAL) [minScore, maxScore] = [Math.min(minScore, p.score), Math.max(maxScore, p.score)];
      if (p.type === PieceType.USER_DEFINED) userDefined.add(id);
      if (p.type === PieceType.NORMAL || p.type === PieceType.USER_DEFINED) {
        let node = this.trie;
        for (const c of p.piece) {
          let next = node.children.get(c);
          if (next === undefined) node.children.set(c, (next = { id: -1, children: new Map() }));
          node = next;
        }
        node.id = id;
      }
    });
    if (unkId < 0) throw new TokenizerError('TOKENIZER_INVALID', `${source}: the SentencePiece model has no UNKNOWN piece`);
    this.userDefined = userDefined;
    this.unkId = unkId;
    this.unkScore = Math.fround(minScore - UNK_PENALTY);
    this.maxScore = maxScore;
    this.byteFallback = model.trainerSpec.byteFallback;
    this.normalizer = new SpmNormalizer(model.normalizerSpec, [...userDefined].map((id) => this.pieces[id]), source);
  }

  /** Pieces of `text` (`▁A`, `▁man`, `<0xC3>`...). */
  encode(text: string): string[] {
    const chars = Array.from(this.normalizer.normalize(text));
    const n = chars.length;
    const bestScore = new Float32Array(n + 1);
    const bestStart = new Int32Array(n + 1).fill(-1);
    const bestId = new Int32Array(n + 1).fill(-1);
    const offer = (start: number, end: number, id: number, score: number) => {
      const candidate = Math.fround(score + bestScore[start]);
      if (bestStart[end] === -1 || candidate > bestScore[end]) {
        bestScore[end] = candidate;
        bestStart[end] = start;
        bestId[end] = id;
      }
    };
    for (let start = 0; start < n; start++) {
      let hasSingle = false;
      let node: TrieNode | undefined = this.trie;
      for (let end = start + 1; end <= n; end++) {
        node = node.children.get(chars[end - 1]);
        if (node === undefined) break;
        const id = node.id;
        if (id < 0) continue;
        const score = this.userDefined.has(id) ? utf8.encode(chars.slice(start, end).join('')).length * this.maxScore - 0.1 : this.scores[id];
        offer(start, end, id, score);
        if (end === start + 1) hasSingle = true;
      }
      if (!hasSingle) offer(start, start + 1, this.unkId, this.unkScore);
    }
    const path: { piece: string; id: number }[] = [];
    for (let end = n; end > 0; end = bestStart[end]) path.push({ piece: chars.slice(bestStart[end], end).join(''), id: bestId[end] });
    path.reverse();
    const merged: { piece: string; id: number }[] = [];
    for (const step of path) {
      const last = merged.at(-1);
      if (step.id === this.unkId && last?.id === this.unkId) last.piece += step.piece;
      else merged.push({ ...step });
    }
    return merged.flatMap(({ piece, id }) => (id === this.unkId && this.byteFallback ? [...utf8.encode(piece)].map(bytePiece) : [piece]));
  }

  /** DecodePieces: byte pieces joined into UTF-8, `▁` as a space, the dummy-prefix space dropped. */
  decode(pieces: readonly string[]): string {
    const out: string[] = [];
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length > 0) out.push(new TextDecoder().decode(Uint8Array.from(bytes)));
      bytes = [];
    };
    for (const piece of pieces) {
      const byte = /^<0x([0-9A-F]{2})>$/u.exec(piece);
      if (byte && this.byteFallback) bytes.push(parseInt(byte[1], 16));
      else {
        flush();
        out.push(piece);
      }
    }
    flush();
    return out.join('').replaceAll('\u2581', ' ').replace(/^ /u, '');
  }
}

function bytePiece(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

interface TrieNode {
  /** The piece ending here, -1 when none does. */
  id: number;
  readonly children: Map<string, TrieNode>;
}
