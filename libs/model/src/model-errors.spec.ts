import { errorCode, TunefleetError } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { BertModelError, CheckpointError, ConfigError, IGNORE_INDEX } from './index.ts';

describe('model errors', () => {
  it('are TunefleetErrors with their stable code, name and the file or tensor at fault', () => {
    const config = new ConfigError('CONFIG_INVALID', 'config.json', '1 invalid field', [{ path: 'hidden_size', message: 'must be > 0' }]);
    const checkpoint = new CheckpointError('CHECKPOINT_TRUNCATED', 'model.safetensors', 'too short', 'bert.pooler.dense.bias');
    const model = new BertModelError('BATCH_VALUE', 'label 9 outside [0, 2)', 'classifier.weight');
    for (const [error, name, code] of [[config, 'ConfigError', 'CONFIG_INVALID'], [checkpoint, 'CheckpointError', 'CHECKPOINT_TRUNCATED'], [model, 'BertModelError', 'BATCH_VALUE']] as const) {
      expect(error).toBeInstanceOf(TunefleetError);
      expect(error.name).toBe(name);
      expect(errorCode(error)).toBe(code);
    }
    expect(config).toMatchObject({ file: 'config.json', message: 'config.json: 1 invalid field', issues: [{ path: 'hidden_size' }] });
    expect(checkpoint).toMatchObject({ file: 'model.safetensors', detail: 'too short', message: 'model.safetensors tensor "bert.pooler.dense.bias": too short' });
    expect(model.tensor).toBe('classifier.weight');
  });

  it('re-exports the one ignored label of libs/core, Hugging Face\'s -100', () => {
    expect(IGNORE_INDEX).toBe(-100);
  });
});
