import { describe, expect, it } from 'vitest';
import { corpusBleu } from './bleu.ts';
import { computeTranslationMetrics, evaluateGenerated, translationComputeMetrics } from './bleu-translation-metrics.ts';
import { corpusChrf } from './chrf.ts';

// A toy vocabulary: 0 pad, 1 </s>, then words. decode skips special tokens as
// tokenizer.batch_decode(skip_special_tokens=True) does.
const VOCAB = ['<pad>', '</s>', 'the', 'dog', 'bit', 'man', '.', 'a', 'cat'];
const PAD = 0;
const decode = (ids: number[]): string => ids.filter((id) => id > 1).map((id) => VOCAB[id]).join(' ');
const ids = (text: string): number[] => [...text.split(' ').map((word) => VOCAB.indexOf(word)), 1];

describe('computeTranslationMetrics', () => {
  it('decodes (-100 as pad), scores sacrebleu BLEU and chrF, and counts non-pad generated tokens', () => {
    const predictions = [Int32Array.from([...ids('the dog bit the man .'), PAD]), Int32Array.from(ids('a cat .'))];
    const labels = [Int32Array.from(ids('the dog bit the man .')), Int32Array.from([...ids('the cat .'), -100, -100])];
    const metrics = computeTranslationMetrics(predictions, labels, { decode, padTokenId: PAD });
    const hyps = ['the dog bit the man .', 'a cat .'];
    const refs = [['the dog bit the man .', 'the cat .']];
    expect(metrics.bleu).toBeCloseTo(corpusBleu(hyps, refs).score, 4);
    expect(metrics.chrf).toBeCloseTo(corpusChrf(hyps, refs).score, 4);
    expect(metrics.bleu).toBeGreaterThan(0);
    expect(metrics.bleu).toBeLessThan(100);
    expect(metrics.gen_len).toBe((7 + 4) / 2); // the pad is not counted, </s> is
  });

  it('a perfect translation scores 100 / 100', () => {
    const row = Int32Array.from(ids('the man bit a dog .'));
    expect(computeTranslationMetrics([row], [row], { decode, padTokenId: PAD })).toEqual({ bleu: 100, chrf: 100, gen_len: 7 });
  });

  it('refuses predictions and labels of different counts', () => {
    expect(() => computeTranslationMetrics([Int32Array.of(1)], [], { decode, padTokenId: PAD })).toThrow(/1 predictions but 0 labelled examples/);
  });
});

describe('evaluateGenerated (predict_with_generate)', () => {
  it('calls generate per batch and scores its rows against the batch labels', () => {
    const targets = ['the dog bit the man .', 'a cat .', 'the cat bit a dog .'];
    const rows = targets.map((text) => ids(text));
    const width = Math.max(...rows.map((row) => row.length));
    const batchOf = (indices: number[]) => {
      const labels = new Int32Array(indices.length * width).fill(-100);
      indices.forEach((i, b) => labels.set(rows[i]!, b * width));
      return { batchSize: indices.length, targetLength: width, labels, indices };
    };
    const seen: number[][] = [];
    // A fake generate: the reference itself, except the last example gets "a dog ."
    const generate = (batch: ReturnType<typeof batchOf>) => {
      seen.push(batch.indices);
      return batch.indices.map((i) => Int32Array.from(i === 2 ? ids('a dog .') : rows[i]!));
    };
    const metrics = evaluateGenerated([batchOf([0, 1]), batchOf([2])], generate, { decode, padTokenId: PAD });
    expect(seen).toEqual([[0, 1], [2]]);
    const expected = corpusBleu(['the dog bit the man .', 'a cat .', 'a dog .'], [targets]).score;
    expect(metrics.bleu).toBeCloseTo(expected, 4);
    expect(metrics.gen_len).toBeCloseTo((7 + 4 + 4) / 3, 4);
  });

  it('refuses a generate that returns the wrong number of rows', () => {
    const batch = { batchSize: 2, targetLength: 1, labels: Int32Array.of(1, 1) };
    expect(() => evaluateGenerated([batch], () => [Int32Array.of(1)], { decode, padTokenId: PAD })).toThrow(/1 sequences for a batch of 2/);
  });
});

describe('translationComputeMetrics (teacher-forced argmax)', () => {
  it('takes the argmax at every labelled position and drops the padded ones', () => {
    const target = ids('the dog bit the man .'); // 7 ids with </s>
    const labels = Int32Array.from([...target, -100]); // [1, 8]
    const vocab = VOCAB.length;
    const logits = new Float32Array(8 * vocab);
    [...target, 8].forEach((id, t) => (logits[t * vocab + id] = 5)); // "cat" at the padded step must not count
    const metrics = translationComputeMetrics({ decode, padTokenId: PAD })({ logits, shape: [1, 8, vocab], labelIds: labels });
    expect(metrics).toEqual({ bleu: 100, chrf: 100, gen_len: 7 });
    // The same from the ids argmaxLogits reduces each batch to ([1, 8, 1]).
    const reduced = Float32Array.from([...target, 8]);
    expect(translationComputeMetrics({ decode, padTokenId: PAD })({ logits: reduced, shape: [1, 8, 1], labelIds: labels })).toEqual({ bleu: 100, chrf: 100, gen_len: 7 });
  });
});
