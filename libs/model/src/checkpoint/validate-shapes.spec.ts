import { describe, expect, it } from 'vitest';
import { CheckpointError } from './checkpoint-error.ts';
import { validateShapes } from './validate-shapes.ts';

const expected = new Map([
  ['classifier.weight', [3, 32]],
  ['classifier.bias', [3]],
]);

describe('validateShapes', () => {
  it('passes when shared names agree, ignoring missing and unexpected names', () => {
    const tensors = new Map([
      ['classifier.weight', { shape: [3, 32] }],
      ['cls.predictions.decoder.weight', { shape: [99, 32] }],
    ]);
    expect(() => validateShapes(tensors, expected, 'model.safetensors')).not.toThrow();
  });

  it('names every mismatched tensor with expected vs actual', () => {
    const tensors = new Map([
      ['classifier.weight', { shape: [2, 32] }],
      ['classifier.bias', { shape: [3, 1] }],
    ]);
    let caught: unknown;
    try {
      validateShapes(tensors, expected, 'ckpt/model.safetensors');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CheckpointError);
    const error = caught as CheckpointError;
    expect(error.code).toBe('CHECKPOINT_SHAPE_MISMATCH');
    expect(error.tensor).toBe('classifier.weight');
    expect(error.message).toContain('ckpt/model.safetensors');
    expect(error.message).toContain('"classifier.weight" expected [3, 32], got [2, 32]');
    expect(error.message).toContain('"classifier.bias" expected [3], got [3, 1]');
  });
});
