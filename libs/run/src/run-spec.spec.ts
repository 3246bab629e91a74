import { parseTrainingArguments } from '@tunefleet/trainer';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { overlayRunConfig } from './model-alias.ts';
import { DEFAULT_LABEL_COLUMN, DEFAULT_MAX_SEQ_LENGTH } from './run-arguments.ts';
import { parseRunConfig, RunSpecSchema } from './run-spec.ts';
import { runSpecError } from './test-support.ts';

const base = { model_name_or_path: 'm', train_file: 't.tsv', output_dir: 'out' };

describe('parseRunConfig: the flat form of `tunefleet train`', () => {
  it('splits run_glue fields from TrainingArguments and fills both halves’ defaults', () => {
    const { run } = parseRunConfig({ ...base, max_seq_length: 64, learning_rate: 1e-3 }, 'test');
    expect(run).toMatchObject({ model_name_or_path: 'm', train_file: 't.tsv', max_seq_length: 64, task: 'sequence-classification', label_column: DEFAULT_LABEL_COLUMN, skip_bad_rows: false });
    expect(run.training_arguments).toEqual(parseTrainingArguments({ output_dir: 'out', learning_rate: 1e-3 }, 'x'));
    expect(run.text_column).toBeUndefined();
    expect(Object.isFrozen(run)).toBe(true);
    expect(parseRunConfig(base, 'test').run.max_seq_length).toBe(DEFAULT_MAX_SEQ_LENGTH);
  });

  it('reports five bad fields of both halves in one error, each with its flag', () => {
    const error = runSpecError(() =>
      parseRunConfig({ train_file: 't.tsv', max_seq_length: -3, task: 'summarisation', output_dir: 'out', learning_rate: 'fast', warmup_ratio: 2 }, 'run.yaml'),
    );
    expect(error.code).toBe('RUN_SPEC_INVALID');
    expect(error.issues.map((issue) => [issue.field, issue.flag])).toEqual([
      ['model_name_or_path', '--model'],
      ['task', '--task'],
      ['max_seq_length', '--max-seq-length'],
      ['learning_rate', '--learning-rate'],
      ['warmup_ratio', '--warmup-ratio'],
    ]);
    expect(error.message).toMatch(/^run\.yaml: 5 invalid run field\(s\):\n {2}model_name_or_path \(--model\): is required\n/);
    expect(error.message).toContain('max_seq_length (--max-seq-length): Too small: expected number to be >=1 (got -3)');
    expect(error.message).toContain('learning_rate (--learning-rate): Invalid input: expected number, received string (got "fast")');
  });

  it('takes the caller’s extra fields, reported with the others', () => {
    const extra = { backend: z.enum(['auto', 'cpu']).default('auto') };
    expect(parseRunConfig(base, 'test', extra).extra).toEqual({ backend: 'auto' });
    const error = runSpecError(() => parseRunConfig({ ...base, backend: 'gpu', seed: -1 }, 'test', extra));
    expect(error.issues.map((issue) => issue.field)).toEqual(['backend', 'seed']);
  });

  it('accepts model for model_name_or_path, but not both in one layer; a later layer replaces either', () => {
    expect(parseRunConfig({ ...base, model_name_or_path: undefined, model: 'alias' }, 'test').run.model_name_or_path).toBe('alias');
    const both = runSpecError(() => parseRunConfig({ ...base, model: 'alias' }, 'test'));
    expect(both.issues).toEqual([{ field: 'model', flag: '--model', message: 'is another name for model_name_or_path; give one of them' }]);
    const file = { ...base, model_name_or_path: undefined, model: 'from-file' };
    expect(parseRunConfig(overlayRunConfig(file, { model_name_or_path: 'from-flag' }), 'test').run.model_name_or_path).toBe('from-flag');
    expect(parseRunConfig(overlayRunConfig(base, { model: 'from-flag', seed: undefined }), 'test').run.model_name_or_path).toBe('from-flag');
  });
});

describe('RunSpecSchema: the nested form (training_arguments as a mapping)', () => {
  it('parses to the same RunSpec as the flat form', () => {
    const { run } = parseRunConfig({ ...base, text_column: 'review', seed: 3 }, 'test');
    const nested = RunSpecSchema.parse({ model_name_or_path: 'm', train_file: 't.tsv', text_column: 'review', training_arguments: { output_dir: 'out', seed: 3 } });
    expect(nested).toEqual(run);
  });

  it('names invalid TrainingArguments fields under training_arguments', () => {
    const result = RunSpecSchema.safeParse({ model_name_or_path: 'm', train_file: 't.tsv', training_arguments: { output_dir: 'o', seed: -1 } });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['training_arguments.seed']);
  });
});
