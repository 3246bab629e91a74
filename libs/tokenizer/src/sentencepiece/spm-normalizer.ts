import { TokenizerError } from '../tokenizer-error.ts';
import type { SentencePieceModel } from './sentencepiece-model.ts';

const SPACE = 0x20;
/** `▁` in UTF-8. */
const SPACE_SYMBOL_BYTES = [0xe2, 0x96, 0x81] as const;
/** U+FFFD, which stands for one malformed byte. */
const REPLACEMENT_BYTES = Uint8Array.of(0xef, 0xbf, 0xbd);
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Where a prefix's replacement lies: bytes[start, end); `consumed` input bytes. */
interface Replacement {
  bytes: Uint8Array;
  start: number;
  end: number;
  consumed: number;
}

/**
 * SentencePiece's Normalizer (normalizer.cc) over the model's own rules: `precompiled_charsmap` is the
 * compiled normalisation table (nmt_nfkc, nfkc, nfkc_cf or a custom TSV all end up there), a
 * darts-clone double-array trie over UTF-8 bytes whose values point into a pool of replacement
 * strings. At each position the longest rule wins; without one a character is copied (a malformed
 * byte becomes U+FFFD). Then the whitespace rules of normalizer_spec: leading and repeated spaces
 * dropped (remove_extra_whitespaces), a `▁` put in front (add_dummy_prefix), spaces written as `▁`
 * (escape_whitespaces), trailing ones dropped. User-defined pieces are copied unnormalised, as
 * SentencePiece's prefix matcher does. Works on bytes and decodes once.
 */
export class SpmNormalizer {
  private readonly trie: Uint32Array | null;
  private readonly pool: Uint8Array;
  private readonly userDefinedBytes: readonly Uint8Array[];
  private readonly found: Replacement = { bytes: REPLACEMENT_BYTES, start: 0, end: 0, consumed: 0 };

  constructor(
    private readonly spec: SentencePieceModel['normalizerSpec'],
    userDefined: readonly string[],
    source: string,
  ) {
    this.userDefinedBytes = userDefined.map((piece) => utf8.encode(piece)).filter((bytes) => bytes.length > 0);
    const blob = spec.precompiledCharsmap;
    if (blob.length === 0) {
      this.trie = null;
      this.pool = new Uint8Array(0);
      return;
    }
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieBytes = view.getUint32(0, true);
    if (trieBytes % 4 !== 0 || 4 + trieBytes > blob.length) {
      throw new TokenizerError('TOKENIZER_INVALID', `${source}: normalizer_spec.precompiled_charsmap is malformed (trie of ${trieBytes} bytes in a ${blob.length}-byte blob)`);
    }
    // A copy: the blob may be a view into a larger (unaligned) Buffer.
    this.trie = new Uint32Array(new Uint8Array(blob.subarray(4, 4 + trieBytes)).buffer);
    this.pool = blob.subarray(4 + trieBytes);
  }

  normalize(text: string): string {
    const input = utf8.encode(text);
    const { removeExtraWhitespaces: remove, escapeWhitespaces: escape } = this.spec;
    let pos = 0;
    if (remove) {
      while (pos < input.length) {
        const r = this.normalizePrefix(input, pos);
        if (!(r.end - r.start === 1 && r.bytes[r.start] === SPACE)) break;
        pos += r.consumed;
      }
    }
    if (pos >= input.length) return '';
    const out: number[] = [];
    const pushSpace = () => (escape ? out.push(...SPACE_SYMBOL_BYTES) : out.push(SPACE));
    if (this.spec.addDummyPrefix) pushSpace();
    let isPrevSpace = remove;
    while (pos < input.length) {
      const r = this.normalizePrefix(input, pos);
      let start = r.start;
      if (isPrevSpace) while (start < r.end && r.bytes[start] === SPACE) start++;
      if (start < r.end) {
        for (let i = start; i < r.end; i++) {
          if (escape && r.bytes[i] === SPACE) pushSpace();
          else out.push(r.bytes[i]);
        }
        isPrevSpace = r.bytes[r.end - 1] === SPACE;
      }
      pos += r.consumed;
    }
    if (remove) {
      const space = escape ? SPACE_SYMBOL_BYTES : [SPACE];
      while (out.length >= space.length && space.every((b, i) => out[out.length - space.length + i] === b)) out.length -= space.length;
    }
    return fromUtf8.decode(Uint8Array.from(out));
  }

  /** NormalizePrefix: the replacement of the longest rule at `pos` (reused object: read it before the next call). */
  private normalizePrefix(input: Uint8Array, pos: number): Replacement {
    const r = this.found;
    for (const bytes of this.userDefinedBytes) {
      if (bytes.every((b, i) => input[pos + i] === b)) return Object.assign(r, { bytes: input, start: pos, end: pos + bytes.length, consumed: bytes.length });
    }
    if (this.trie !== null) {
      const [longest, value] = this.longestPrefix(input, pos);
      if (longest > 0) {
        let end = value;
        while (end < this.pool.length && this.pool[end] !== 0) end++;
        return Object.assign(r, { bytes: this.pool, start: value, end, consumed: longest });
      }
    }
    const length = utf8CharLength(input, pos);
    if (length === 0) return Object.assign(r, { bytes: REPLACEMENT_BYTES, start: 0, end: 3, consumed: 1 });
    return Object.assign(r, { bytes: input, start: pos, end: pos + length, consumed: length });
  }

  /** darts-clone's commonPrefixSearch, keeping the longest match: [byte length, value], [0, 0] for none. */
  private longestPrefix(input: Uint8Array, pos: number): [number, number] {
    const units = this.trie!;
    let longest = 0;
    let value = 0;
    let node = offsetOf(units[0]);
    for (let i = pos; i < input.length; i++) {
      node ^= input[i];
      const unit = units[node];
      if (unit === undefined || labelOf(unit) !== input[i]) break;
      node ^= offsetOf(unit);
      if (hasLeaf(unit)) {
        longest = i - pos + 1;
        value = units[node] & 0x7fffffff;
      }
    }
    return [longest, value];
  }
}

// darts-clone DoubleArrayUnit accessors.
const hasLeaf = (unit: number): boolean => ((unit >>> 8) & 1) === 1;
const labelOf = (unit: number): number => unit & (0x80000000 | 0xff);
const offsetOf = (unit: number): number => (unit >>> 10) << ((unit & (1 << 9)) >>> 6);

/** Length of the valid UTF-8 character at `pos`, 0 when malformed. */
function utf8CharLength(input: Uint8Array, pos: number): number {
  const b = input[pos];
  const length = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
  if (length === 0 || pos + length > input.length) return 0;
  for (let i = 1; i < length; i++) if ((input[pos + i] & 0xc0) !== 0x80) return 0;
  return length;
}
