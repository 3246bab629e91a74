import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tunefleet } from '../support/cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const VOCAB = join(ROOT, 'examples/vocab.txt');


async function ok(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const result = await tunefleet(args);
  if (result.code !== 0) throw new Error(`tunefleet ${args[0]} exited ${result.code}:\n${result.stderr}`);
  return result;
}

const jsonLines = (text: string): any[] => text.trim().split('\n').map((line) => JSON.parse(line));
const logLines = (stdout: string): any[] => jsonLines(stdout).filter((line) => line.event === 'log');

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tunefleet-tasks-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const TRAIN_FLAGS = ['--max-steps', '4', '--per-device-train-batch-size', '8', '--learning-rate', '1e-3', '--seed', '3', '--save-strategy', 'no', '--logging-steps', '2'];

describe('token classification (NER) end to end', () => {
  it('trains on CoNLL, evaluates entity F1 per type, predicts on CoNLL and on plain text', async () => {
    const init = join(work, 'ner-init');
    const out = join(work, 'ner-out');
    await ok(['init-model', '--preset', 'tiny', '--vocab', VOCAB, '--task', 'token-classification', '--num-labels', '12', '--output', init]);
    const train = await ok([
      'train', '--model', init, '--task', 'token-classification', '--label-all-tokens',
      '--train-file', join(FIXTURES, 'wnut17-train-120.conll'), '--validation-file', join(FIXTURES, 'wnut17-dev-30.conll'),
      '--max-seq-length', '48', '--output-dir', out, ...TRAIN_FLAGS,
    ]);
    const evalLog = logLines(train.stdout).find((line) => 'eval_f1' in line);
    expect(evalLog).toMatchObject({ eval_f1: expect.any(Number), eval_precision: expect.any(Number), eval_recall: expect.any(Number), eval_location_number: expect.any(Number) });
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertForTokenClassification']);
    expect(Object.keys(config.label2id)).toHaveLength(12);

    const evaluated = await ok(['evaluate', '--model', out, '--file', join(FIXTURES, 'wnut17-dev-30.conll'), '--max-seq-length', '48']);
    const metrics = JSON.parse(evaluated.stdout);
    expect(metrics.sentences).toBe(30);
    for (const key of ['eval_f1', 'eval_precision', 'eval_recall', 'eval_accuracy']) expect(metrics[key]).toBeGreaterThanOrEqual(0);
    // Gold entities per type in the 30 dev sentences, counted from the file.
    const dev = await readFile(join(FIXTURES, 'wnut17-dev-30.conll'), 'utf8');
    const goldPersons = dev.split('\n').filter((line) => line.endsWith('\tB-person')).length;
    expect(metrics.per_type.person.number).toBe(goldPersons);
    expect(Object.keys(metrics.per_type.person).sort()).toEqual(['f1', 'number', 'precision', 'recall']);

    const conllOut = join(work, 'ner-conll.jsonl');
    await ok(['predict', '--model', out, '--input', join(FIXTURES, 'wnut17-dev-30.conll'), '--output', conllOut]);
    const records = jsonLines(await readFile(conllOut, 'utf8'));
    expect(records).toHaveLength(30);
    expect(records[0].tokens.slice(0, 3)).toEqual(dev.split('\n').slice(0, 3).map((line) => line.split('\t')[0]));
    for (const record of records) {
      expect(record.tags).toHaveLength(record.tokens.length);
      for (const entity of record.entities) expect(entity.text).toBe(record.tokens.slice(entity.start, entity.end).join(' '));
    }

    const plainOut = join(work, 'ner-plain.jsonl');
    await ok(['predict', '--model', out, '--input', join(FIXTURES, 'ner-plain.txt'), '--output', plainOut]);
    const plain = jsonLines(await readFile(plainOut, 'utf8'));
    expect(plain.map((r) => r.line)).toEqual([1, 2]);
    expect(plain[0].tokens).toEqual(['Empire', 'State', 'Building', 'is', 'in', 'New', 'York', '.']);
    for (const record of plain) for (const entity of record.entities) expect(record.text.slice(entity.start_char, entity.end_char)).toBe(entity.text);
  }, 240_000);
});

describe('long documents: sliding windows', () => {
  it('trains on every window and evaluates and predicts per text', async () => {
    const init = join(work, 'ag-init');
    const out = join(work, 'ag-out');
    await ok(['init-model', '--preset', 'tiny', '--vocab', VOCAB, '--num-labels', '4', '--output', init]);
    const windowFlags = ['--text-column', 'description', '--max-seq-length', '16', '--long-text-strategy', 'sliding-window', '--stride', '4'];
    const train = await ok([
      'train', '--model', init, '--train-file', join(FIXTURES, 'agnews-train-64.csv'), '--validation-file', join(FIXTURES, 'agnews-test-16.csv'),
      ...windowFlags, '--output-dir', out, ...TRAIN_FLAGS,
    ]);
    const rows = /agnews-train-64\.csv: 64 texts in (\d+) rows \(sliding-window\)/.exec(train.stdout + train.stderr);
    expect(Number(rows?.[1])).toBeGreaterThan(64);
    const evaluated = JSON.parse((await ok(['evaluate', '--model', out, '--file', join(FIXTURES, 'agnews-test-16.csv'), ...windowFlags])).stdout);
    expect(evaluated.examples).toBe(16);
    expect(evaluated.rows).toBeGreaterThan(16);
    expect(evaluated.eval_accuracy).toBeGreaterThanOrEqual(0);
    const predictions = join(work, 'ag.jsonl');
    await ok(['predict', '--model', out, '--input', join(FIXTURES, 'agnews-test-16.csv'), '--output', predictions, ...windowFlags]);
    const records = jsonLines(await readFile(predictions, 'utf8'));
    expect(records).toHaveLength(16);
    expect(records.reduce((sum, r) => sum + r.windows, 0)).toBe(evaluated.rows);
  }, 240_000);
});

describe('masked LM', () => {
  const corpus = join(FIXTURES, 'corpus-160.txt');
  const mlmFlags = ['--task', 'masked-lm', '--train-file', corpus, '--validation-file', join(FIXTURES, 'corpus-eval-12.txt'), '--max-seq-length', '32', '--per-device-eval-batch-size', '16'];

  it('pretrains from init-model, adapts from that checkpoint, and 2 workers train as one process', async () => {
    const init = join(work, 'mlm-init');
    await ok(['init-model', '--preset', 'tiny', '--vocab', VOCAB, '--task', 'masked-lm', '--output', init]);
    // Dropout off, so one process and two ranks (which draw dropout per batch, not per example) compare exactly.
    const configFile = join(init, 'config.json');
    const config = JSON.parse(await readFile(configFile, 'utf8'));
    await writeFile(configFile, JSON.stringify({ ...config, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }));
    const pretrained = join(work, 'mlm-1');
    const first = await ok(['train', '--model', init, ...mlmFlags, '--output-dir', pretrained, ...TRAIN_FLAGS]);
    const evalLog = logLines(first.stdout).find((line) => 'eval_perplexity' in line);
    expect(evalLog.eval_perplexity).toBeGreaterThan(1);
    // Per-token perplexity and exp(batch-mean loss) agree closely on equal-length blocks.
    expect(Math.log(evalLog.eval_perplexity)).toBeCloseTo(evalLog.eval_loss, 0);
    const single = logLines(first.stdout).filter((line) => 'loss' in line).map((line) => line.loss);

    // Domain adaptation: continue from the masked-LM checkpoint, whole words, line by line.
    const adapted = await ok(['train', '--model', pretrained, ...mlmFlags, '--line-by-line', '--whole-word-mask', '--output-dir', join(work, 'mlm-2'), ...TRAIN_FLAGS]);
    expect(logLines(adapted.stdout).some((line) => 'eval_perplexity' in line)).toBe(true);

    // Two workers, each with half of the global batch: same masks, so the same losses as one process.
    const cluster = await ok(['train', '--workers', '2', '--model', init, ...mlmFlags, '--output-dir', join(work, 'mlm-w2'), ...TRAIN_FLAGS.map((v) => (v === '8' ? '4' : v))]);
    const clusterLosses = logLines(cluster.stdout).filter((line) => 'loss' in line).map((line) => line.loss);
    expect(clusterLosses).toHaveLength(single.length);
    clusterLosses.forEach((loss, i) => expect(loss).toBeCloseTo(single[i], 3));
  }, 600_000);
});
