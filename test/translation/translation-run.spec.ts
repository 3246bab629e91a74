// Translation runs in one process (loadRunInputs on a tiny Marian) and through the CLI: the data
// contract the Marian model consumes, the metrics, and the bad-input errors named by file and line.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { errorCode } from '@tunefleet/core';
import { createModel, familyPresetConfig, type ModelBatch } from '@tunefleet/model';
import { loadRunInputs, parseRunConfig, type TranslationRunInputs } from '@tunefleet/run';
import { loadTokenizer } from '@tunefleet/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tunefleet } from '../support/cli.ts';

const WORDS = ['a', 'dog', 'runs', 'cat', 'sleeps', 'the', 'man', 'walks', 'ein', 'hund', 'rennt', 'eine', 'katze', 'schläft', 'der', 'mann', 'geht', '.'];
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS];
const SOURCES = ['a dog runs .', 'a cat sleeps .', 'the man walks .', 'the dog sleeps .'];
const TARGETS = ['ein hund rennt .', 'eine katze schläft .', 'der mann geht .', 'der hund schläft .'];

let work: string;
let marian: string;
let bert: string;
const file = (name: string) => join(work, name);
const lines = (rows: readonly string[]) => `${rows.join('\n')}\n`;

beforeAll(async () => {
  await tf.setBackend('cpu');
  work = await mkdtemp(join(tmpdir(), 'tunefleet-translation-'));
  marian = file('marian');
  bert = file('bert');
  const fields = { vocabSize: VOCAB.length, padTokenId: 0, eosTokenId: 3 };
  // Dropout off so that one process and two ranks (whose dropout masks differ) compute the same losses.
  const marianConfig = { ...familyPresetConfig('marian', 'tiny', fields), dropout: 0 } as ReturnType<typeof familyPresetConfig>;
  await createModel(marianConfig, 'translation', { seed: 1 }).save(marian);
  await createModel(familyPresetConfig('bert', 'tiny', fields), 'sequence-classification', { seed: 1 }).save(bert);
  for (const dir of [marian, bert]) await writeFile(join(dir, 'vocab.txt'), lines(VOCAB));
  await writeFile(file('train.en'), lines(SOURCES));
  await writeFile(file('train.de'), lines(TARGETS));
  await writeFile(file('dev.jsonl'), lines(SOURCES.slice(0, 2).map((en, i) => JSON.stringify({ translation: { en, de: TARGETS[i] } }))));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function inputs(fields: Record<string, unknown>, log: string[] = []): Promise<TranslationRunInputs> {
  const { run } = parseRunConfig({ model_name_or_path: marian, task: 'translation', output_dir: file('out'), ...fields }, 'test');
  return (await loadRunInputs(run, 7, (line) => log.push(line))) as TranslationRunInputs;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the run to fail');
}

describe('loadRunInputs for --task translation', () => {
  it('reads aligned training files and JSONL validation, and the Marian model trains on its batches', async () => {
    const log: string[] = [];
    const run = await inputs({ source_file: file('train.en'), target_file: file('train.de'), validation_file: file('dev.jsonl'), source_lang: 'en', target_lang: 'de' }, log);
    expect(run.trainSet.size).toBe(4);
    expect(run.evalSet?.size).toBe(2);
    expect(log).toContain(`${file('train.en')} + ${file('train.de')}: 4 pairs`);
    const batch = run.trainSet.batch([0, 1]);
    expect(batch.targetLength).toBe(batch.labels.length / 2);
    expect(batch.decoderInputIds[0]).toBe(0); // decoder_start_token_id (pad) first
    expect(Array.from(batch.decoderInputIds.subarray(1, batch.targetLength))).toEqual(Array.from(batch.labels.subarray(0, batch.targetLength - 1)));
    const modelBatch: ModelBatch = batch;
    const logits = run.model.forward(modelBatch, { training: false });
    expect(logits.shape).toEqual([2, batch.targetLength, VOCAB.length]);
    const loss = run.model.loss(logits, modelBatch).dataSync()[0]!;
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeGreaterThan(0);
    tf.dispose(logits);
  });

  it('predict_with_generate: bleu, chrf and gen_len of generated ids over the evaluation set', async () => {
    const run = await inputs({ train_file: file('dev.jsonl'), validation_file: file('dev.jsonl'), source_lang: 'en', target_lang: 'de' });
    // A fake generate that returns each row's labels (a perfect model): BLEU and chrF are 100.
    const perfect = run.evaluateGenerated!((batch) => {
      const width = batch.targetLength;
      return Array.from({ length: batch.batchSize }, (_, b) => batch.labels.subarray(b * width, (b + 1) * width).filter((id) => id !== -100));
    }, 1);
    expect(perfect).toMatchObject({ bleu: 100, chrf: 100 });
    expect(perfect.gen_len).toBeGreaterThan(4);
    const wrong = run.evaluateGenerated!((batch) => Array.from({ length: batch.batchSize }, () => Int32Array.of(2, 5, 3)), 2);
    expect(wrong.bleu).toBe(0);
    expect(wrong.gen_len).toBe(3);
  });

  it('source_prefix and truncation: sources and targets cut to their limits are counted in the log', async () => {
    const log: string[] = [];
    const run = await inputs({ source_file: file('train.en'), target_file: file('train.de'), source_prefix: 'a a ', max_source_length: 5, max_target_length: 4 }, log);
    expect(log.at(-1)).toMatch(/4 pairs; 4 sources truncated to max_source_length 5, 4 targets truncated to max_target_length 4/);
    expect(run.trainSet.length(0)).toBe(5);
    expect(run.trainSet.targetLengthOf(0)).toBe(4);
  });

  it('bad input: an empty line names its file and line; a long target with on_long_target error names the target file and line', async () => {
    await writeFile(file('gap.en'), lines(['a dog runs .', '', 'the man walks .']));
    await writeFile(file('gap.de'), lines(['ein hund rennt .', 'eine katze .', 'der mann geht .']));
    const empty = await failure(inputs({ source_file: file('gap.en'), target_file: file('gap.de') }));
    expect(errorCode(empty)).toBe('DATA_INVALID_ROWS');
    expect(empty.message).toContain(`${file('gap.en')}:2: empty source line`);
    const long = await failure(inputs({ source_file: file('train.en'), target_file: file('train.de'), max_target_length: 5, on_long_target: 'error' }));
    expect(errorCode(long)).toBe('DATA_TARGET_TOO_LONG');
    expect(long.message).toContain(`${file('train.de')}:2: target has 6 tokens, more than max_target_length 5`);
  });

  it('bad input: a JSONL row missing the target language names the file, line and key', async () => {
    await writeFile(file('fr.jsonl'), lines([JSON.stringify({ translation: { en: 'a dog', de: 'ein hund' } }), JSON.stringify({ translation: { en: 'a cat', fr: 'un chat' } })]));
    const error = await failure(inputs({ train_file: file('fr.jsonl'), source_lang: 'en', target_lang: 'de' }));
    expect(error.message).toContain(`${file('fr.jsonl')}:2: "translation" has no "de" key`);
  });

  it('a checkpoint whose family has no translation head fails naming its model_type and tasks', async () => {
    const { run } = parseRunConfig({ model_name_or_path: bert, task: 'translation', output_dir: file('out'), source_file: file('train.en'), target_file: file('train.de') }, 'test');
    const error = await failure(loadRunInputs(run, 7, () => {}));
    expect(errorCode(error)).toBe('MODEL_TASK_UNSUPPORTED');
    expect(error.message).toContain('model_type "bert" has no translation head');
  });
});

describe('a Marian checkpoint: SentencePiece source.spm / target.spm', () => {
  it('sources go through the source model, targets through the target side (encodeTargetBatch)', async () => {
    const dir = file('marian-spm');
    const fixtures = join(ROOT, 'libs/tokenizer/fixtures/marian');
    const names = ['source.spm', 'target.spm', 'vocab.json', 'tokenizer_config.json'];
    // The tokenizer alone first: the model's vocabulary size and special ids come from it.
    const probe = file('marian-probe');
    await mkdir(probe, { recursive: true });
    for (const name of names) await copyFile(join(fixtures, name), join(probe, name));
    const tokenizer = await loadTokenizer(probe);
    if (!('encodeTargetBatch' in tokenizer)) throw new Error('the Marian tokenizer has no target side');
    const fields = { vocabSize: tokenizer.vocabSize, padTokenId: tokenizer.padTokenId, eosTokenId: tokenizer.eosTokenId };
    await createModel(familyPresetConfig('marian', 'tiny', fields), 'translation', { seed: 2 }).save(dir);
    for (const name of names) await copyFile(join(fixtures, name), join(dir, name));
    const { run } = parseRunConfig(
      { model_name_or_path: dir, task: 'translation', output_dir: file('out'), source_file: file('train.en'), target_file: file('train.de') },
      'test',
    );
    const inputs = (await loadRunInputs(run, 7, () => {})) as TranslationRunInputs;
    const batch = inputs.trainSet.batch([1]);
    expect(Array.from(batch.inputIds)).toEqual(tokenizer.encodeBatch([SOURCES[1]!]).inputIds[0]);
    expect(Array.from(batch.labels)).toEqual(tokenizer.encodeTargetBatch([TARGETS[1]!]).inputIds[0]);
    expect(batch.labels.at(-1)).toBe(tokenizer.eosTokenId);
    expect(batch.decoderInputIds[0]).toBe(tokenizer.padTokenId);
  });
});

describe('tunefleet train --task translation (CLI)', () => {
  const logLines = (stdout: string): Record<string, number>[] =>
    stdout
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['event'] === 'log') as Record<string, number>[];
  const losses = (stdout: string) => logLines(stdout).flatMap((line) => ('loss' in line ? [line.loss!] : []));
  // Filled by the one-process run below (tests of a file run in order); the --workers 2 run compares with it.
  let oneProcessLosses: number[] = [];
  const TRAIN = ['--task', 'translation', '--source-file', '', '--target-file', '', '--validation-file', '', '--source-lang', 'en', '--target-lang', 'de'];
  const trainArgs = (batchSize: number) => {
    const args = [...TRAIN];
    args[3] = file('train.en');
    args[5] = file('train.de');
    args[7] = file('dev.jsonl');
    return [...args, '--max-steps', '2', '--per-device-train-batch-size', String(batchSize), '--logging-steps', '1', '--eval-strategy', 'steps', '--eval-steps', '2', '--save-strategy', 'no', '--seed', '3'];
  };

  it('trains a Marian model and reports eval_bleu, eval_chrf and eval_gen_len; the output is a MarianMTModel', async () => {
    const out = file('cli-train');
    const result = await tunefleet(['train', '--model', marian, ...trainArgs(4), '--output-dir', out]);
    oneProcessLosses = losses(result.stdout);
    if (result.code !== 0) throw new Error(`train exited ${result.code}:\n${result.stderr}`);
    const evaluation = logLines(result.stdout).find((line) => 'eval_bleu' in line);
    expect(evaluation).toMatchObject({ eval_bleu: expect.any(Number), eval_chrf: expect.any(Number), eval_gen_len: expect.any(Number), eval_loss: expect.any(Number) });
    expect(evaluation!.eval_bleu).toBeGreaterThanOrEqual(0);
    expect(evaluation!.eval_chrf).toBeLessThanOrEqual(100);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as { architectures: string[] };
    expect(config.architectures).toEqual(['MarianMTModel']);
  });

  it('trains on --workers 2 as one process does with the same global batch: the same losses', async () => {
    const two = await tunefleet(['train', '--workers', '2', '--model', marian, ...trainArgs(2), '--output-dir', file('cli-two')]);
    if (two.code !== 0) throw new Error(`train --workers 2 exited ${two.code}:\n${two.stderr}`);
    expect(oneProcessLosses).toHaveLength(2);
    expect(losses(two.stdout)).toHaveLength(2);
    losses(two.stdout).forEach((loss, i) => expect(loss).toBeCloseTo(oneProcessLosses[i]!, 4));
  });

  it('misaligned files fail before training, naming both files and both line counts', async () => {
    await writeFile(file('short.de'), lines(TARGETS.slice(0, 3)));
    const result = await tunefleet([
      'train', '--model', marian, '--task', 'translation', '--source-file', file('train.en'), '--target-file', file('short.de'),
      '--output-dir', file('cli-out'), '--max-steps', '1',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${file('train.en')} has 4 lines but ${file('short.de')} has 3`);
    expect(result.stderr).toContain('[DATA_MISALIGNED_FILES]');
  });
});
