import { GradientDtype } from '@tunefleet/proto';
import { describe, expect, it } from 'vitest';
import { runTrain } from '../commands/train.ts';
import { parseTrainConfig } from '../run-config.ts';
import { localJobSpec } from './local-job-spec.ts';

const base = { model: 'models/tiny', train_file: 'train.tsv', output_dir: 'out' };

function specFor(extra: Record<string, unknown>) {
  const { run, options } = parseTrainConfig({ ...base, ...extra }, {}, 'test');
  return localJobSpec(run, options, 2, 'test');
}

describe('tunefleet train --workers: the job it submits', () => {
  it('sends f32 gradients by default and bf16 with --gradient-dtype bf16', () => {
    expect(specFor({}).gradientDtype).toBe(GradientDtype.GRADIENT_DTYPE_F32);
    expect(specFor({ gradient_dtype: 'bf16' }).gradientDtype).toBe(GradientDtype.GRADIENT_DTYPE_BF16);
    expect(specFor({ gradient_dtype: 'bf16' })).toMatchObject({ worldSize: 2, trainFile: 'train.tsv', modelNameOrPath: 'models/tiny' });
  });

  it('carries --collective-timeout-ms to the workers (30 s unless set)', () => {
    expect(specFor({}).collectiveTimeoutMs).toBe(30_000);
    expect(specFor({ collective_timeout_ms: 120_000 }).collectiveTimeoutMs).toBe(120_000);
    expect(() => specFor({ collective_timeout_ms: 10 })).toThrow(/collective_timeout_ms \(--collective-timeout-ms\)/);
  });

  it('carries the data fields of the run', () => {
    const spec = specFor({ text_column: 'review', label_column: 'sentiment', max_seq_length: 6, skip_bad_rows: true, validation_file: 'dev.tsv' });
    expect(spec).toMatchObject({ textColumn: 'review', labelColumn: 'sentiment', maxSeqLength: 6, skipBadRows: true, validationFile: 'dev.tsv', task: 'sequence-classification' });
  });

  it('refuses an unknown dtype, naming the flag', () => {
    expect(() => specFor({ gradient_dtype: 'fp8' })).toThrow(/gradient_dtype \(--gradient-dtype\)/);
  });

  it('refuses --gradient-dtype bf16 and --collective-timeout-ms without --workers (one process has no all-reduce)', async () => {
    await expect(runTrain({ flags: { ...base, gradient_dtype: 'bf16' } })).rejects.toThrow(/gradient_dtype bf16 \(--gradient-dtype\) applies to the all-reduce of --workers N/);
    await expect(runTrain({ flags: { ...base, collective_timeout_ms: 60_000 } })).rejects.toThrow(/collective_timeout_ms \(--collective-timeout-ms\) bounds the all-reduce of --workers N/);
  });
});
