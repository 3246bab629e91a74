import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, tunefleet } from './support/cli.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'test/fixtures');



describe('tunefleet CLI: init-model -> train -> evaluate -> predict', () => {
  let work: string;
  let initDir: string;
  let outDir: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tunefleet-cli-'));
    initDir = join(work, 'init');
    outDir = join(work, 'out');
    const init = await tunefleet([
      'init-model', '--preset', 'tiny', '--vocab', join(ROOT, 'examples/vocab.txt'), '--num-labels', '2', '--output', initDir,
    ]);
    expect(init.stderr).toMatch(/backend: (native|wasm|cpu|tensorflow)/);
    expect(init.code).toBe(0);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('init-model writes a Hugging Face layout', async () => {
    expect((await readdir(initDir)).sort()).toEqual([
      'config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt',
    ]);
    const config = await readJson(join(initDir, 'config.json'));
    expect(config).toMatchObject({ architectures: ['BertForSequenceClassification'], hidden_size: 128, num_hidden_layers: 2, vocab_size: 30522 });
  });

  it('train from a YAML config plus flags writes the full output directory and JSON log lines', async () => {
    const yaml = join(work, 'run.yaml');
    await writeFile(
      yaml,
      [
        `model: ${initDir}`,
        `train_file: ${join(FIXTURES, 'sst2-train-120.tsv')}`,
        `validation_file: ${join(FIXTURES, 'sst2-test-40.tsv')}`,
        'text_column: sentence',
        'label_column: label',
        'max_seq_length: 32',
        `output_dir: ${outDir}`,
        'per_device_train_batch_size: 16',
        'learning_rate: 1.0e-3',
        'eval_strategy: steps',
        'eval_steps: 4',
        'save_strategy: steps',
        'save_steps: 4',
        'logging_steps: 2',
      ].join('\n'),
    );
    const result = await tunefleet(['train', '--config', yaml, '--max-steps', '8', '--seed', '7']);
    expect(result.stderr).not.toMatch(/Error:/);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.filter((l) => l.event === 'log' && typeof l.loss === 'number').map((l) => l.step)).toEqual([2, 4, 6, 8]);
    expect(lines.some((l) => l.event === 'log' && typeof l.eval_accuracy === 'number')).toBe(true);

    const files = await readdir(outDir);
    for (const name of [
      'config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt',
      'training_args.json', 'trainer_state.json', 'eval_results.json', 'checkpoint-4', 'checkpoint-8',
    ]) {
      expect(files).toContain(name);
    }
    const state = await readJson(join(outDir, 'trainer_state.json'));
    expect(state.global_step).toBe(8);
    expect(state.log_history[0]).toMatchObject({ step: 2, epoch: expect.any(Number), loss: expect.any(Number), learning_rate: expect.any(Number) });
    const args = await readJson(join(outDir, 'training_args.json'));
    expect(args).toMatchObject({ max_steps: 8, seed: 7, learning_rate: 0.001, per_device_train_batch_size: 16 });
    const config = await readJson(join(outDir, 'config.json'));
    expect(config.id2label).toEqual({ 0: '0', 1: '1' });
    expect(config.label2id).toEqual({ 0: 0, 1: 1 });
    const evalResults = await readJson(join(outDir, 'eval_results.json'));
    expect(evalResults.eval_accuracy).toBeGreaterThanOrEqual(0);
  });

  it('evaluate prints the metrics as JSON', async () => {
    const result = await tunefleet(['evaluate', '--model', outDir, '--file', join(FIXTURES, 'sst2-test-40.tsv')]);
    expect(result.code).toBe(0);
    const metrics = JSON.parse(result.stdout);
    expect(metrics.examples).toBe(40);
    for (const key of ['eval_loss', 'eval_accuracy', 'eval_f1', 'eval_f1_macro', 'eval_f1_micro', 'eval_precision', 'eval_recall']) {
      expect(typeof metrics[key]).toBe('number');
    }
  });

  it('predict writes one JSON object per input row with label, score and logits', async () => {
    const output = join(work, 'predictions.jsonl');
    const result = await tunefleet(['predict', '--model', outDir, '--input', join(FIXTURES, 'predict-input.txt'), '--output', output]);
    expect(result.code).toBe(0);
    const rows = (await readFile(output, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(rows.map((r) => r.line)).toEqual([1, 2, 4]); // the blank line 3 is skipped
    for (const row of rows) {
      expect(['0', '1']).toContain(row.label);
      expect(row.score).toBeGreaterThanOrEqual(0.5);
      expect(row.logits).toHaveLength(2);
    }
  });

  it('evaluate and predict pick the text column as train does: the first of text, sentence, sentence1', async () => {
    const test = await readFile(join(FIXTURES, 'sst2-test-40.tsv'), 'utf8');
    const textFile = join(work, 'text-column.tsv');
    await writeFile(textFile, test.replace(/^sentence\tlabel\n/, 'text\tlabel\n'));
    const evaluate = await tunefleet(['evaluate', '--model', outDir, '--file', textFile]);
    expect(evaluate.stderr).not.toMatch(/Error:/);
    expect(evaluate.code).toBe(0);
    expect(JSON.parse(evaluate.stdout).examples).toBe(40);

    const pairFile = join(work, 'sentence1-column.tsv');
    await writeFile(pairFile, test.replace(/^sentence\tlabel\n/, 'sentence1\tlabel\n'));
    const output = join(work, 'sentence1-predictions.jsonl');
    const predict = await tunefleet(['predict', '--model', outDir, '--input', pairFile, '--output', output]);
    expect(predict.code).toBe(0);
    const rows = (await readFile(output, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(rows).toHaveLength(40);
    expect(rows[0].text).toBe(test.split('\n')[1]!.split('\t')[0]);
  });

  it('a run file with bad fields of both halves gets them all in one error', async () => {
    const yaml = join(work, 'bad-run.yaml');
    await writeFile(yaml, [`model: ${initDir}`, 'train_file: t.tsv', 'max_seq_length: 0', 'backend: gpu', `output_dir: ${join(work, 'never')}`, 'learning_rate: fast', 'warmup_ratio: 2'].join('\n'));
    const result = await tunefleet(['train', '--config', yaml, '--collective-timeout-ms', '50']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${yaml} (+ flags): 5 invalid run field(s):`);
    for (const field of ['max_seq_length (--max-seq-length)', 'backend (--backend)', 'collective_timeout_ms (--collective-timeout-ms)', 'learning_rate (--learning-rate)', 'warmup_ratio (--warmup-ratio)']) {
      expect(result.stderr).toContain(field);
    }
    expect(result.stderr).toContain('[RUN_SPEC_INVALID]');
  });

  it('bad rows stop the run before training and are named file:line', async () => {
    const badTrain = join(work, 'bad-train.tsv');
    await writeFile(badTrain, 'sentence\tlabel\ngood movie\t1\n\t0\nbad movie\n');
    const train = await tunefleet(['train', '--model', initDir, '--train-file', badTrain, '--output-dir', join(work, 'never'), '--max-steps', '1']);
    expect(train.code).toBe(1);
    expect(train.stderr).toContain(`${badTrain}:3: empty text in column "sentence"`);
    expect(train.stderr).toContain(`${badTrain}:4: missing column "label"`);

    // Labels come from the training file, so an unknown label can only appear in another file.
    const badEval = join(work, 'bad-eval.tsv');
    await writeFile(badEval, 'sentence\tlabel\nfine\t1\nmeh\tneutral\n');
    const evaluate = await tunefleet([
      'train', '--model', initDir, '--train-file', join(FIXTURES, 'sst2-train-120.tsv'), '--validation-file', badEval,
      '--output-dir', join(work, 'never'), '--max-steps', '1',
    ]);
    expect(evaluate.code).toBe(1);
    expect(evaluate.stderr).toContain(`${badEval}:3: label "neutral" is not one of [0, 1]`);
    await expect(readdir(join(work, 'never'))).rejects.toThrow(); // nothing was trained or written
  });

  it('an invalid TrainingArguments value is reported by field', async () => {
    const result = await tunefleet(['train', '--model', initDir, '--train-file', join(FIXTURES, 'sst2-train-120.tsv'), '--output-dir', join(work, 'x'), '--eval-strategy', 'sometimes']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('eval_strategy');
  });
});
