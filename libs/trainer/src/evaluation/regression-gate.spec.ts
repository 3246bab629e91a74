import { describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { evaluateGate, evaluateGates, parseGate } from './regression-gate.ts';

describe('parseGate', () => {
  it('reads metric, operator and threshold; ratio metrics are in points, others raw', () => {
    expect(parseGate('accuracy>=-0.5')).toEqual({ text: 'accuracy>=-0.5', metric: 'accuracy', operator: '>=', threshold: -0.5, unit: 'points' });
    expect(parseGate(' f1_macro > 0 ')).toEqual({ text: 'f1_macro > 0', metric: 'f1_macro', operator: '>', threshold: 0, unit: 'points' });
    expect(parseGate('eval_loss<=.02')).toEqual({ text: 'eval_loss<=.02', metric: 'eval_loss', operator: '<=', threshold: 0.02, unit: 'raw' });
    expect(parseGate('eval_accuracy<1e-1').unit).toBe('points');
  });

  it('rejects a malformed gate with GATE_MALFORMED and an example of the form', () => {
    for (const text of ['accuracy', 'accuracy=>0', 'accuracy>=', '>=0.5', 'accuracy>=0.5%', 'acc uracy>=1', 'accuracy==0']) {
      expect(() => parseGate(text), text).toThrow(`gate "${text}" is not <metric><op><number>; write e.g. "accuracy>=-0.5"`);
      try {
        parseGate(text);
      } catch (error) {
        expect(errorCode(error)).toBe('GATE_MALFORMED');
      }
    }
  });
});

describe('evaluateGate', () => {
  const baseline = { eval_accuracy: 0.8716, eval_f1: 0.88, eval_loss: 0.35 };

  it('passes a drop within the allowance and says so with the numbers', () => {
    const result = evaluateGate(parseGate('accuracy>=-0.5'), { ...baseline, eval_accuracy: 0.8690 }, baseline);
    expect(result).toMatchObject({ isPassed: true, key: 'eval_accuracy', candidate: 0.869, baseline: 0.8716, change: -0.26 });
    expect(result.message).toBe('gate accuracy>=-0.5 passed: eval_accuracy 0.8690 vs baseline 0.8716, change -0.26 points (needs >= -0.5 points)');
  });

  it('fails a larger drop, with the numbers', () => {
    const result = evaluateGate(parseGate('accuracy>=-0.5'), { ...baseline, eval_accuracy: 0.8612 }, baseline);
    expect(result.isPassed).toBe(false);
    expect(result.change).toBe(-1.04);
    expect(result.message).toBe('gate accuracy>=-0.5 failed: eval_accuracy 0.8612 vs baseline 0.8716, change -1.04 points (needs >= -0.5 points)');
  });

  it('meets a threshold exactly at the boundary despite floating point', () => {
    expect((0.8666 - 0.8716) * 100).not.toBe(-0.5);
    expect(evaluateGate(parseGate('accuracy>=-0.5'), { ...baseline, eval_accuracy: 0.8666 }, baseline).isPassed).toBe(true);
    expect(evaluateGate(parseGate('accuracy>-0.5'), { ...baseline, eval_accuracy: 0.8666 }, baseline).isPassed).toBe(false);
  });

  it('compares raw metrics in their own unit', () => {
    const result = evaluateGate(parseGate('eval_loss<=0.02'), { ...baseline, eval_loss: 0.38 }, baseline);
    expect([result.isPassed, result.change]).toEqual([false, 0.03]);
    expect(result.message).toBe('gate eval_loss<=0.02 failed: eval_loss 0.3800 vs baseline 0.3500, change +0.03 (needs <= 0.02)');
    expect(evaluateGate(parseGate('loss<0.05'), { ...baseline, eval_loss: 0.38 }, baseline).isPassed).toBe(true);
  });

  it('reads bare names as given too (metrics without an eval_ prefix)', () => {
    expect(evaluateGate(parseGate('eval_accuracy>0'), { accuracy: 0.9 }, { accuracy: 0.8 })).toMatchObject({ key: 'accuracy', isPassed: true, change: 10 });
  });

  it('names the metrics both models share when the gate asks for another', () => {
    const unknown = (): unknown => evaluateGate(parseGate('bleu>=0'), baseline, { eval_accuracy: 0.8, eval_loss: 0.4 });
    expect(unknown).toThrow(`gate bleu>=0: metric "bleu" is not in both models' results; they share [eval_accuracy, eval_loss].`);
    try {
      unknown();
    } catch (error) {
      expect(errorCode(error)).toBe('GATE_UNKNOWN_METRIC');
    }
  });

  it('passes a list only when every gate passes', () => {
    const gates = [parseGate('accuracy>=-0.5'), parseGate('f1>=-1')];
    expect(evaluateGates(gates, { ...baseline, eval_f1: 0.86 }, baseline).isPassed).toBe(false);
    expect(evaluateGates(gates, baseline, baseline).results.map((result) => result.isPassed)).toEqual([true, true]);
  });
});
