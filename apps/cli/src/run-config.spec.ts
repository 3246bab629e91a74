import { TrainingArgumentsSchema } from '@tunefleet/trainer';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from './progress.ts';
import { CliConfigError, readRunConfigFile, splitRunConfig } from './run-config.ts';
import { camelOptionsToSnake, flagKind, optionsFromShape } from './schema-flags.ts';

describe('run configuration', () => {
  it('splits run_glue arguments from TrainingArguments and fills run defaults', () => {
    const { run, training } = splitRunConfig(
      { model: 'm', train_file: 't.tsv', max_seq_length: 64, learning_rate: 1e-3, output_dir: 'out' },
      'test',
    );
    expect(run).toMatchObject({ model: 'm', train_file: 't.tsv', max_seq_length: 64, task: 'sequence-classification', backend: 'auto' });
    expect(training).toEqual({ learning_rate: 1e-3, output_dir: 'out' });
  });

  it('names every invalid run argument with its flag', () => {
    expect(() => splitRunConfig({ max_seq_length: -3, backend: 'gpu' }, 'job.yaml')).toThrow(CliConfigError);
    try {
      splitRunConfig({ max_seq_length: -3, backend: 'gpu' }, 'job.yaml');
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('job.yaml: invalid run arguments');
      expect(message).toContain('model (--model)');
      expect(message).toContain('max_seq_length (--max-seq-length)');
      expect(message).toContain('backend (--backend)');
    }
  });

  it('reads a YAML file and reports one that is not a mapping, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tunefleet-cfg-'));
    const good = join(dir, 'run.yaml');
    await writeFile(good, 'model: m\nlearning_rate: 2.0e-5\n');
    expect(await readRunConfigFile(good)).toEqual({ model: 'm', learning_rate: 2e-5 });
    const bad = join(dir, 'list.yaml');
    await writeFile(bad, '- a\n- b\n');
    await expect(readRunConfigFile(bad)).rejects.toThrow(`${bad}: expected a mapping`);
    await expect(readRunConfigFile(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read config file/);
  });
});

describe('TrainingArguments flags', () => {
  it('derives one kebab-case flag per TrainingArguments field with the right kind', () => {
    const shape = TrainingArgumentsSchema.shape as Record<string, unknown>;
    expect(flagKind(shape.learning_rate)).toBe('number');
    expect(flagKind(shape.load_best_model_at_end)).toBe('boolean');
    expect(flagKind(shape.eval_strategy)).toBe('string');
    expect(flagKind(shape.save_total_limit)).toBe('number'); // nullable number
    const flags = optionsFromShape(shape, new Set()).map((o) => o.long);
    for (const name of ['--learning-rate', '--per-device-train-batch-size', '--gradient-accumulation-steps', '--warmup-ratio', '--metric-for-best-model', '--early-stopping-patience']) {
      expect(flags).toContain(name);
    }
  });

  it('parses numbers and booleans strictly', () => {
    const shape = TrainingArgumentsSchema.shape as Record<string, unknown>;
    const options = optionsFromShape(shape, new Set());
    const lr = options.find((o) => o.long === '--learning-rate')!;
    expect(lr.parseArg!('3e-4', undefined)).toBe(3e-4);
    expect(() => lr.parseArg!('fast', undefined)).toThrow('--learning-rate: expected a number, got "fast"');
    const best = options.find((o) => o.long === '--load-best-model-at-end')!;
    expect(best.parseArg!('false', undefined)).toBe(false);
    expect(() => best.parseArg!('maybe', undefined)).toThrow('--load-best-model-at-end: expected true or false');
    expect(camelOptionsToSnake({ learningRate: 1, perDeviceTrainBatchSize: 8, unset: undefined })).toEqual({ learning_rate: 1, per_device_train_batch_size: 8 });
  });
});

describe('progress without a terminal', () => {
  it('writes one JSON object per line', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => (text += chunk));
    const reporter = createProgressReporter({ isTty: false, disableBar: false, out, err: out });
    reporter.start(10);
    reporter.log({ loss: 0.5, step: 2 });
    reporter.step({ step: 10, totalSteps: 10, loss: 0.4, samplesPerSecond: 12.345 });
    const lines = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { event: 'train_begin', max_steps: 10 },
      { event: 'log', loss: 0.5, step: 2 },
      { event: 'progress', step: 10, max_steps: 10, samples_per_second: 12.35 },
    ]);
  });
});
