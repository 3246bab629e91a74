import { GradientDtype } from '@tunefleet/proto';
import { parseTrainingArguments } from '@tunefleet/trainer';
import { describe, expect, it } from 'vitest';
import { runTrain } from '../commands/train.ts';
import { splitRunConfig } from '../run-config.ts';
import { localJobSpec } from './local-job-spec.ts';

const base = { model: 'models/tiny', train_file: 'train.tsv', output_dir: 'out' };

function specFor(extra: Record<string, unknown>) {
  const { run, training } = splitRunConfig({ ...base, ...extra }, 'test');
  return localJobSpec(run, parseTrainingArguments(training, 'test'), 2, 'test');
}

describe('tunefleet train --workers: the job it submits', () => {
  it('sends f32 gradients by default and bf16 with --gradient-dtype bf16', () => {
    expect(specFor({}).gradientDtype).toBe(GradientDtype.GRADIENT_DTYPE_F32);
    expect(specFor({ gradient_dtype: 'bf16' }).gradientDtype).toBe(GradientDtype.GRADIENT_DTYPE_BF16);
    expect(specFor({ gradient_dtype: 'bf16' })).toMatchObject({ worldSize: 2, trainFile: 'train.tsv', modelNameOrPath: 'models/tiny' });
  });

  it('refuses an unknown dtype, naming the flag', () => {
    expect(() => specFor({ gradient_dtype: 'fp8' })).toThrow(/gradient_dtype \(--gradient-dtype\)/);
  });

  it('refuses --gradient-dtype bf16 without --workers (one process has no all-reduce)', async () => {
    await expect(runTrain({ flags: { ...base, gradient_dtype: 'bf16' } })).rejects.toThrow(/gradient_dtype bf16 \(--gradient-dtype\) applies to the all-reduce of --workers N/);
  });
});
