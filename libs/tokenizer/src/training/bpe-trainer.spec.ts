import { describe, expect, it } from 'vitest';
import { trainBpe } from './bpe-trainer.ts';

const counts = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe('trainBpe: Hugging Face BpeTrainer semantics', () => {
  it("reproduces tokenizers' own test_train (trainer.rs): alphabet in code-point order, then re, are, is", () => {
    const words = counts({ roses: 1, are: 2, red: 1, voilets: 1, blue: 1, BERT: 1, is: 2, big: 1, and: 1, so: 1, 'GPT-2': 1 });
    const { vocab, merges } = trainBpe(words, { vocabSize: 30000, minFrequency: 2, specialTokens: [] });
    expect(vocab).toEqual(['-', '2', 'B', 'E', 'G', 'P', 'R', 'T', 'a', 'b', 'd', 'e', 'g', 'i', 'l', 'n', 'o', 'r', 's', 't', 'u', 'v', 're', 'are', 'is']);
    // "are" (a=8, re=22) and "is" (i=13, s=18) both count 2: the smaller pair of ids wins.
    expect(merges).toEqual([['r', 'e'], ['a', 're'], ['i', 's']]);
  });

  it('breaks ties by token ids, not by strings: an older token beats a newer one', () => {
    // a0 b1 c2 x3. "ab" (5) first and becomes id 4; then (ab, x) and (c, x) both count 2: (2, 3) < (4, 3),
    // so "cx" comes before "abx" although "ab x" < "c x" as strings. The stale (b, x) entry ends the run.
    const words = counts({ ab: 3, abx: 2, cx: 2 });
    expect(trainBpe(words, { vocabSize: 100, minFrequency: 0, specialTokens: [] })).toEqual({
      vocab: ['a', 'b', 'c', 'x', 'ab', 'cx', 'abx'],
      merges: [['a', 'b'], ['c', 'x'], ['ab', 'x']],
    });
  });

  it('stops at vocabSize (special tokens and alphabet included) and below minFrequency', () => {
    const words = counts({ ab: 3, abx: 2, cx: 2 });
    expect(trainBpe(words, { vocabSize: 6, minFrequency: 0, specialTokens: [] }).merges).toEqual([['a', 'b'], ['c', 'x']]);
    expect(trainBpe(words, { vocabSize: 100, minFrequency: 3, specialTokens: [] }).merges).toEqual([['a', 'b']]);
    const withSpecials = trainBpe(words, { vocabSize: 7, minFrequency: 0, specialTokens: ['<pad>', '</s>'] });
    expect(withSpecials.vocab).toEqual(['<pad>', '</s>', 'a', 'b', 'c', 'x', 'ab']);
  });

  it('merges without overlap, left to right: aaaa is aa + aa, then aaaa', () => {
    expect(trainBpe(counts({ aaaa: 1 }), { vocabSize: 10, minFrequency: 0, specialTokens: [] })).toEqual({
      vocab: ['a', 'aa', 'aaaa'],
      merges: [['a', 'a'], ['aa', 'aa']],
    });
  });

  it('keeps the whole initial alphabet and adds suffixed last characters after it', () => {
    const { vocab, merges } = trainBpe(counts({ ab: 2, b: 1 }), { vocabSize: 100, minFrequency: 0, specialTokens: ['<unk>'], initialAlphabet: ['z', 'a'], endOfWordSuffix: '</w>' });
    expect(vocab).toEqual(['<unk>', 'a', 'b', 'z', 'b</w>', 'ab</w>']);
    expect(merges).toEqual([['a', 'b</w>']]);
  });
});
