import { Command } from 'commander';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJobSpecYaml, validateJobSpec } from '@tunefleet/coordinator';
import { JobSpec } from '@tunefleet/proto';
import { RunSpecError } from '@tunefleet/run';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTrainConfig, readRunConfigFile, resolveTrainConfig } from './run-config.ts';
import { trainFlagValues, trainSchemaOptions } from './train-flags.ts';

/** `tunefleet train ARGV`'s flags as main.ts hands them to runTrain. */
function trainFlags(argv: string[]): Record<string, unknown> {
  const command = new Command('train').exitOverride();
  for (const option of trainSchemaOptions()) command.addOption(option);
  command.parse(argv, { from: 'user' });
  return trainFlagValues(command.opts());
}

async function rejection(promise: Promise<unknown>): Promise<RunSpecError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (error instanceof RunSpecError) return error;
  throw new Error(`expected a RunSpecError, got ${String(error)}`);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tunefleet-cfg-'));
});

describe('one run, three ways to write it', () => {
  it('flags, a YAML run file and a gRPC JobSpec parse to the same RunSpec', async () => {
    const flags = trainFlags([
      '--model', 'models/tiny', '--task', 'sequence-classification', '--train-file', 'train.tsv', '--validation-file', 'dev.tsv',
      '--text-column', 'review', '--label-column', 'sentiment', '--max-seq-length', '64', '--skip-bad-rows',
      '--output-dir', 'out', '--learning-rate', '3e-5', '--per-device-train-batch-size', '16', '--seed', '7', '--load-best-model-at-end',
      '--eval-strategy', 'epoch', '--save-strategy', 'epoch',
    ]);
    const fromFlags = parseTrainConfig({}, flags, 'flags').run;

    const runFile = join(dir, 'run.yaml');
    await writeFile(runFile, [
      'model: models/tiny', 'task: sequence-classification', 'train_file: train.tsv', 'validation_file: dev.tsv',
      'text_column: review', 'label_column: sentiment', 'max_seq_length: 64', 'skip_bad_rows: true',
      'output_dir: out', 'learning_rate: 3.0e-5', 'per_device_train_batch_size: 16', 'seed: 7', 'load_best_model_at_end: true',
      'eval_strategy: epoch', 'save_strategy: epoch',
    ].join('\n'));
    const fromYaml = (await resolveTrainConfig(runFile, {})).run;

    const jobYaml = [
      'name: same-run', 'world_size: 2', 'model_name_or_path: models/tiny', 'task: sequence-classification', 'train_file: train.tsv',
      'validation_file: dev.tsv', 'text_column: review', 'label_column: sentiment', 'max_seq_length: 64', 'skip_bad_rows: true',
      'training_arguments:', '  output_dir: out', '  learning_rate: 3.0e-5', '  per_device_train_batch_size: 16', '  seed: 7',
      '  load_best_model_at_end: true', '  eval_strategy: epoch', '  save_strategy: epoch',
    ].join('\n');
    const wire = JobSpec.decode(JobSpec.encode(parseJobSpecYaml(jobYaml, 'job.yaml')).finish());
    const fromJobSpec = validateJobSpec(wire, 'SubmitJob').run;

    expect(fromFlags).toMatchObject({ model_name_or_path: 'models/tiny', max_seq_length: 64, skip_bad_rows: true });
    expect(fromFlags.training_arguments).toMatchObject({ learning_rate: 3e-5, seed: 7, metric_for_best_model: 'loss' });
    expect(fromYaml).toEqual(fromFlags);
    expect(fromJobSpec).toEqual(fromFlags);
  });

  it('a run file with five bad fields of both halves gets all five in one error', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, ['model: m', 'train_file: t.tsv', 'max_seq_length: 4096', 'label_column: ""', 'backend: gpu', 'output_dir: out', 'learning_rate: fast', 'eval_strategy: sometimes'].join('\n'));
    const error = await rejection(resolveTrainConfig(file, {}));
    expect(error.issues.map((issue) => `${issue.field} (${issue.flag})`)).toEqual([
      'label_column (--label-column)',
      'max_seq_length (--max-seq-length)',
      'backend (--backend)',
      'learning_rate (--learning-rate)',
      'eval_strategy (--eval-strategy)',
    ]);
    expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\+ flags\\): 5 invalid run field\\(s\\):`));
  });

  it('names every invalid run argument with its flag, a missing model and train file too', () => {
    let error: unknown;
    try {
      parseTrainConfig({ max_seq_length: -3, backend: 'gpu', output_dir: 'o' }, {}, 'job.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunSpecError);
    const message = (error as Error).message;
    expect(message).toContain('job.yaml: 4 invalid run field(s)');
    expect(message).toContain('model_name_or_path (--model): is required');
    expect(message).toContain('train_file (--train-file): is required');
    expect(message).toContain('max_seq_length (--max-seq-length)');
    expect(message).toContain('backend (--backend)');
  });

  it('lets flags override the file, --model over a file’s model_name_or_path included', () => {
    const file = { model_name_or_path: 'from-file', train_file: 't.tsv', output_dir: 'o', max_seq_length: 64, backend: 'cpu' };
    const { run, options } = parseTrainConfig(file, trainFlags(['--model', 'from-flag', '--max-seq-length', '32', '--collective-timeout-ms', '90000']), 'test');
    expect(run).toMatchObject({ model_name_or_path: 'from-flag', max_seq_length: 32 });
    expect(options).toEqual({
      backend: 'cpu',
      gradient_dtype: 'f32',
      collective_timeout_ms: 90_000,
      bind_cores: false,
      // The process fields' own defaults: elastic membership, metrics and live-page addresses.
      min_workers: 1,
      min_workers_timeout_ms: 600_000,
      max_restarts: 5,
      metrics_host: '127.0.0.1',
      ui_host: '127.0.0.1',
    });
  });

  it('reads a YAML file and reports one that is not a mapping, naming the file', async () => {
    const good = join(dir, 'good.yaml');
    await writeFile(good, 'model: m\nlearning_rate: 2.0e-5\n');
    expect(await readRunConfigFile(good)).toEqual({ model: 'm', learning_rate: 2e-5 });
    const bad = join(dir, 'list.yaml');
    await writeFile(bad, '- a\n- b\n');
    await expect(readRunConfigFile(bad)).rejects.toThrow(`${bad}: expected a mapping`);
    await expect(readRunConfigFile(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read config file/);
  });
});
