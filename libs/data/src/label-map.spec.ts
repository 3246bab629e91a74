import { describe, expect, it } from 'vitest';
import { DataError } from './data-error.ts';
import { buildLabelMap, labelMapFrom, labelNames } from './label-map.ts';

describe('buildLabelMap', () => {
  it('sorts integer-like labels numerically, not as strings', () => {
    const map = buildLabelMap(['10', '2', '1', '2', '-1']);
    expect(map.label2id).toEqual({ '-1': 0, '1': 1, '2': 2, '10': 3 });
    expect(map.id2label).toEqual({ '0': '-1', '1': '1', '2': '2', '3': '10' });
  });

  it('sorts other labels as strings (by code unit, case-sensitive)', () => {
    const map = buildLabelMap(['positive', 'negative', 'Neutral', '2']);
    expect(labelNames(map)).toEqual(['2', 'Neutral', 'negative', 'positive']);
    expect(map.label2id.positive).toBe(3);
  });
});

describe('labelMapFrom', () => {
  it('keeps the given ids and inverts them', () => {
    const map = labelMapFrom({ positive: 0, negative: 1 });
    expect(map.id2label).toEqual({ '0': 'positive', '1': 'negative' });
    expect(labelNames(map)).toEqual(['positive', 'negative']);
  });

  it('rejects ids that are not exactly 0..n-1', () => {
    expect(() => labelMapFrom({ a: 0, b: 2 })).toThrow(DataError);
    expect(() => labelMapFrom({ a: 0, b: 2 })).toThrow('label2id["b"] = 2: ids must be the integers 0..1, one per label.');
    expect(() => labelMapFrom({ a: 1, b: 1 })).toThrow('label2id gives id 1 to both "a" and "b"');
  });
});
