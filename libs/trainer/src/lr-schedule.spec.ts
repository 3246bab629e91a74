import { describe, expect, it } from 'vitest';
import { getLrLambda, numWarmupSteps } from './lr-schedule.ts';

describe('HF schedules', () => {
  it('linear warms up then decays to 0 at the last step', () => {
    const f = getLrLambda('linear', 2, 10);
    expect([0, 1, 2, 6, 10, 12].map(f)).toEqual([0, 0.5, 1, 0.5, 0, 0]);
  });

  it('cosine follows half a cosine after warmup', () => {
    const f = getLrLambda('cosine', 2, 10);
    expect(f(1)).toBe(0.5);
    expect(f(2)).toBeCloseTo(1, 12);
    expect(f(6)).toBeCloseTo(0.5, 12);
    expect(f(10)).toBeCloseTo(0, 12);
  });

  it('constant and constant_with_warmup', () => {
    expect(getLrLambda('constant', 5, 10)(0)).toBe(1);
    const f = getLrLambda('constant_with_warmup', 4, 10);
    expect([0, 2, 4, 9].map(f)).toEqual([0, 0.5, 1, 1]);
  });

  it('warmup_steps wins over warmup_ratio, which rounds up', () => {
    expect(numWarmupSteps(3, 0.5, 100)).toBe(3);
    expect(numWarmupSteps(0, 0.06, 101)).toBe(7);
  });
});
