import { IGNORE_INDEX } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { computeEntityMetrics, entityComputeMetrics, extractEntities } from './entity-metrics.ts';

// Every expected number below is counted by hand: entities are (type, first word, last word) triples.
describe('extractEntities (conlleval chunking)', () => {
  it('reads IOB2, and an entity that ends the sentence', () => {
    expect(extractEntities(['B-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC'])).toEqual([
      { type: 'PER', start: 0, end: 2 },
      { type: 'LOC', start: 3, end: 5 },
    ]);
  });

  it('reads IOB1: I- starts an entity after O, B- only splits two adjacent entities of a type', () => {
    expect(extractEntities(['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC'])).toEqual([
      { type: 'PER', start: 0, end: 2 },
      { type: 'PER', start: 2, end: 3 },
      { type: 'LOC', start: 4, end: 5 },
    ]);
  });

  it('reads IOBES', () => {
    expect(extractEntities(['S-PER', 'O', 'B-LOC', 'E-LOC', 'S-LOC'])).toEqual([
      { type: 'PER', start: 0, end: 1 },
      { type: 'LOC', start: 2, end: 4 },
      { type: 'LOC', start: 4, end: 5 },
    ]);
  });

  it('starts a new entity where the type changes inside a run of I- tags', () => {
    expect(extractEntities(['B-PER', 'I-LOC', 'I-LOC'])).toEqual([
      { type: 'PER', start: 0, end: 1 },
      { type: 'LOC', start: 1, end: 3 },
    ]);
  });
});

describe('computeEntityMetrics', () => {
  it('counts a boundary error as one false positive and one false negative', () => {
    const m = computeEntityMetrics([['B-PER', 'I-PER', 'O']], [['B-PER', 'O', 'O']]);
    expect([m.precision, m.recall, m.f1]).toEqual([0, 0, 0]);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('counts a type error against both types', () => {
    const m = computeEntityMetrics([['B-PER', 'I-PER']], [['B-LOC', 'I-LOC']]);
    expect(m.f1).toBe(0);
    expect(m.perType).toEqual({
      LOC: { precision: 0, recall: 0, f1: 0, number: 0 },
      PER: { precision: 0, recall: 0, f1: 0, number: 1 },
    });
  });

  it('micro-averages over entities and breaks down per type', () => {
    // Gold: PER[0,2) LOC[3,4) | ORG[1,2). Predicted: PER[0,2) (right) PER[3,4) (wrong type) | ORG[1,2) (right).
    const gold = [['B-PER', 'I-PER', 'O', 'B-LOC'], ['O', 'B-ORG']];
    const predicted = [['B-PER', 'I-PER', 'O', 'B-PER'], ['O', 'B-ORG']];
    const m = computeEntityMetrics(gold, predicted);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
    expect(m.accuracy).toBeCloseTo(5 / 6, 12);
    expect(m.perType['PER']!.precision).toBe(0.5);
    expect(m.perType['PER']!.recall).toBe(1);
    expect(m.perType['PER']!.f1).toBeCloseTo(2 / 3, 12);
    expect(m.perType['LOC']).toEqual({ precision: 0, recall: 0, f1: 0, number: 1 });
    expect(m.perType['ORG']).toEqual({ precision: 1, recall: 1, f1: 1, number: 1 });
  });

  it('scores IOB1 gold against IOB2 predictions of the same entities as perfect', () => {
    const m = computeEntityMetrics([['I-PER', 'I-PER', 'B-PER', 'O']], [['B-PER', 'I-PER', 'B-PER', 'O']]);
    expect([m.precision, m.recall, m.f1]).toEqual([1, 1, 1]);
    // ...but the tags differ at word 0, so token accuracy is 3/4.
    expect(m.accuracy).toBe(0.75);
  });

  it('finds an entity at the end of a sentence', () => {
    const m = computeEntityMetrics([['O', 'O', 'B-LOC', 'I-LOC']], [['O', 'O', 'O', 'B-LOC']]);
    // Gold LOC[2,4), predicted LOC[3,4): a boundary error.
    expect(m.perType['LOC']).toEqual({ precision: 0, recall: 0, f1: 0, number: 1 });
    const exact = computeEntityMetrics([['O', 'B-LOC']], [['O', 'B-LOC']]);
    expect(exact.f1).toBe(1);
  });

  it('refuses sentences of different lengths', () => {
    expect(() => computeEntityMetrics([['O']], [['O', 'O']])).toThrow(/sentence 0 has 1 gold tags but 2 predicted/);
  });
});

describe('entityComputeMetrics', () => {
  it('scores only the labelled (first sub-token) positions of token logits', () => {
    const id2label = { '0': 'O', '1': 'B-PER', '2': 'I-PER' };
    // One row, 4 positions: [CLS] w0 w0-continuation w1; labels -100, B-PER, -100, I-PER.
    const logitsPerPosition = [
      [0, 0, 9], // [CLS]: ignored whatever it says
      [0, 9, 0], // B-PER
      [9, 0, 0], // continuation: ignored
      [0, 0, 9], // I-PER
    ];
    const logits = Float32Array.from(logitsPerPosition.flat());
    const labelIds = Int32Array.from([IGNORE_INDEX, 1, IGNORE_INDEX, 2]);
    const metrics = entityComputeMetrics(id2label)({ logits, shape: [1, 4, 3], labelIds });
    expect(metrics).toEqual({ precision: 1, recall: 1, f1: 1, accuracy: 1, PER_precision: 1, PER_recall: 1, PER_f1: 1, PER_number: 1 });
  });
});
