/**
 * Hugging Face `tokenizers`' BpeTrainer (tokenizers/src/models/bpe/trainer.rs), step for step, so
 * that the same word counts give the same vocabulary and merges:
 *
 * 1. special tokens first, in the order given (ids 0..n-1);
 * 2. the alphabet: every character of the words plus the initial alphabet (the 256 byte characters
 *    for byte-level), in code-point order; with an end-of-word suffix, the suffixed last characters
 *    follow in code-point order (Hugging Face adds them in hash-map order, which is not reproducible);
 * 3. pair counts over the words, weighted by word count, in a max-heap ordered by count and, on equal
 *    counts, by the pair's ids ascending (`other.pair.cmp(&self.pair)`): the pair whose left id is
 *    smaller wins, then the smaller right id; ids are vocabulary order, so older tokens win ties;
 * 4. pop the best pair; an entry whose count is stale is pushed back with the current count (lazy
 *    update); stop when the vocabulary has `vocabSize` tokens, the heap is empty, or the best count is
 *    below `minFrequency`; merge the pair left to right, without overlap, in the words the entry
 *    lists, and push the pairs that merge created, with the words where they appeared.
 *
 * A merged token that already exists keeps its id (the merge is recorded again, as upstream does,
 * and its later rank is the one written, as upstream's merge map keeps the last).
 */
export interface BpeTrainerOptions {
  readonly vocabSize: number;
  readonly minFrequency: number;
  readonly specialTokens: readonly string[];
  /** Characters always in the vocabulary (ByteLevel.alphabet() for byte-level). */
  readonly initialAlphabet?: readonly string[];
  /** Appended to the last character of every word (`</w>` for whitespace pre-tokenisation). */
  readonly endOfWordSuffix?: string;
}

export interface TrainedBpe {
  /** Token of each id. */
  readonly vocab: readonly string[];
  /** Merges in rank order. */
  readonly merges: readonly (readonly [string, string])[];
}

/** Pair (a, b) as one number ordered as the tuple: a * 2^26 + b (vocabularies below 67M). */
const PAIR_SHIFT = 2 ** 26;
const pairKey = (a: number, b: number): number => a * PAIR_SHIFT + b;

interface HeapEntry {
  pair: number;
  count: number;
  positions: Set<number>;
}

/** Max-heap: larger count first, then the smaller pair key (BpeTrainer's Merge ordering). */
class MergeQueue {
  private readonly items: HeapEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(entry: HeapEntry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): HeapEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let best = i;
        if (left < items.length && before(items[left], items[best])) best = left;
        if (right < items.length && before(items[right], items[best])) best = right;
        if (best === i) break;
        [items[i], items[best]] = [items[best], items[i]];
        i = best;
      }
    }
    return top;
  }
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.count !== b.count ? a.count > b.count : a.pair < b.pair;
}

/** Trains BPE on `wordCounts` (pre-tokenized words and how often each occurs). */
export function trainBpe(wordCounts: ReadonlyMap<string, number>, options: BpeTrainerOptions): TrainedBpe {
  const idOf = new Map<string, number>();
  const vocab: string[] = [];
  const add = (token: string): number => {
    const known = idOf.get(token);
    if (known !== undefined) return known;
    vocab.push(token);
    idOf.set(token, vocab.length - 1);
    return vocab.length - 1;
  };
  for (const token of options.specialTokens) add(token);

  const alphabet = new Set<string>(options.initialAlphabet ?? []);
  const lastChars = new Set<string>();
  const words: string[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    const chars = Array.from(word);
    if (chars.length === 0) continue;
    for (const c of chars) alphabet.add(c);
    lastChars.add(chars.at(-1)!);
    words.push(chars);
    counts.push(count);
  }
  const byCodePoint = (a: string, b: string) => a.codePointAt(0)! - b.codePointAt(0)!;
  for (const c of [...alphabet].sort(byCodePoint)) add(c);
  const suffix = options.endOfWordSuffix;
  if (suffix) for (const c of [...lastChars].sort(byCodePoint)) add(c + suffix);

  const symbols: number[][] = words.map((chars) => chars.map((c, i) => idOf.get(suffix && i === chars.length - 1 ? c + suffix : c)!));

  const pairCounts = new Map<number, number>();
  let whereToUpdate = new Map<number, Set<number>>();
  symbols.forEach((word, w) => {
    for (let i = 0; i + 1 < word.length; i++) {
      const key = pairKey(word[i], word[i + 1]);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + counts[w]);
      let positions = whereToUpdate.get(key);
      if (positions === undefined) whereToUpdate.set(key, (positions = new Set()));
      positions.add(w);
    }
  });
  const queue = new MergeQueue();
  const flush = () => {
    for (const [pair, positions] of whereToUpdate) {
      const count = pairCounts.get(pair)!;
      if (count > 0) queue.push({ pair, count, positions });
    }
    whereToUpdate = new Map();
  };
  flush();

  const merges: [number, number, number][] = [];
  while (idOf.size < options.vocabSize && queue.size > 0) {
    const top = queue.pop()!;
    const current = pairCounts.get(top.pair)!;
    if (top.count !== current) {
      top.count = current;
      queue.push(top);
      continue;
    }
    if (top.count < 1 || options.minFrequency > top.count) break;
    const a = Math.floor(top.pair / PAIR_SHIFT);
    const b = top.pair % PAIR_SHIFT;
    const left = vocab[a];
    const right = vocab[b];
    const merged = add(left + right);
    merges.push([a, b, merged]);
    for (const w of top.positions) {
      for (const [pair, change] of mergeWord(symbols[w], a, b, merged)) {
        pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + change * counts[w]);
        if (change > 0) {
          let positions = whereToUpdate.get(pair);
          if (positions === undefined) whereToUpdate.set(pair, (positions = new Set()));
          positions.add(w);
        }
      }
    }
    flush();
  }

  // Upstream collects merges into a map keyed by pair: a pair merged twice keeps its last rank.
  const lastRank = new Map<number, number>();
  merges.forEach(([a, b], rank) => lastRank.set(pairKey(a, b), rank));
  const ordered = merges.filter(([a, b], rank) => lastRank.get(pairKey(a, b)) === rank);
  return { vocab, merges: ordered.map(([a, b]) => [vocab[a], vocab[b]] as const) };
}

/**
 * Word::merge: replaces each non-overlapping (a, b), left to right, by `merged` and returns the pair
 * count changes around it (the merged pair itself is not decremented, as upstream).
 */
function mergeWord(word: number[], a: number, b: number, merged: number): [number, number][] {
  const changes: [number, number][] = [];
  let i = 0;
  while (i < word.length) {
    if (word[i] === a && i + 1 < word.length && word[i + 1] === b) {
      if (i > 0) {
        changes.push([pairKey(word[i - 1], a), -1]);
        changes.push([pairKey(word[i - 1], merged), 1]);
      }
      word.splice(i, 2, merged);
      if (i < word.length - 1) {
        changes.push([pairKey(b, word[i + 1]), -1]);
        changes.push([pairKey(merged, word[i + 1]), 1]);
      }
    }
    i++;
  }
  return changes;
}
