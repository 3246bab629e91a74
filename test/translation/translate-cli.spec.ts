// `tunefleet translate` (issue 14 part 7): a file of lines through a Marian in batches, greedy and
// beam, lines or JSONL out, aligned with the input; and the errors a user meets first.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tunefleet } from '../support/cli.ts';

const CORPUS = join(ROOT, 'libs/tokenizer/fixtures/bpe-trainer/corpus.txt');
const TOKENIZER = join(ROOT, 'libs/tokenizer/fixtures/families/roberta-bpe/tokenizer.json');

describe('tunefleet translate', () => {
  let work: string;
  let marian: string;
  let input: string;
  const SOURCES = ['Two young guys with shaggy hair look at their hands .', '', 'A man in a blue shirt is standing on a ladder .', 'Two men are at the stove preparing food .'];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tunefleet-translate-'));
    const tokenizer = join(work, 'tokenizer');
    const trained = await tunefleet(['train-tokenizer', CORPUS, '--type', 'metaspace', '--vocab-size', '400', '--special-tokens', '<pad>,</s>,<unk>', '--output', tokenizer]);
    expect(trained.code, trained.stderr).toBe(0);
    marian = join(work, 'marian');
    const made = await tunefleet(['init-model', '--arch', 'marian', '--preset', 'tiny', '--vocab', join(tokenizer, 'tokenizer.json'), '--output', marian, '--seed', '3']);
    expect(made.code, made.stderr).toBe(0);
    input = join(work, 'input.en');
    await writeFile(input, `${SOURCES.join('\n')}\n`);
  }, 120_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const translate = (...extra: string[]) => tunefleet(['translate', '--model', marian, '--input', input, '--backend', 'cpu', '--max-new-tokens', '8', ...extra]);
  const readLines = async (file: string) => (await readFile(file, 'utf8')).split('\n').slice(0, -1);

  it('writes one line per input line (an empty line stays empty); batching with padding changes no translation', async () => {
    const one = join(work, 'one.de');
    const run = await translate('--output', one, '--batch-size', '1');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/wrote 4 translations to .*one\.de in [\d.]+ s \(1 empty lines left empty\)/);
    const unbatched = await readLines(one);
    expect(unbatched).toHaveLength(4);
    expect(unbatched[1]).toBe('');
    for (const index of [0, 2, 3]) expect(unbatched[index]!.length).toBeGreaterThan(0);
    const three = join(work, 'three.de');
    expect((await translate('--output', three, '--batch-size', '3')).code).toBe(0);
    expect(await readLines(three)).toEqual(unbatched);
  }, 120_000);

  it('beam search and JSONL rows with the source and the finish reason', async () => {
    const out = join(work, 'beam.jsonl');
    const run = await translate('--output', out, '--num-beams', '3', '--batch-size', '2');
    expect(run.code, run.stderr).toBe(0);
    const rows = (await readLines(out)).map((line) => JSON.parse(line) as { source: string; translation: string; finish_reason: string });
    expect(rows.map((row) => row.source)).toEqual(SOURCES);
    expect(rows[1]).toEqual({ source: '', translation: '', finish_reason: 'empty' });
    for (const row of [rows[0]!, rows[2]!, rows[3]!]) expect(['eos', 'length']).toContain(row.finish_reason);
  }, 120_000);

  it('train --predict-with-generate scores generated translations (generation_max_length caps gen_len), not the teacher-forced argmax', async () => {
    const targets = ['Zwei junge Typen mit zotteligem Haar schauen auf ihre Hände .', 'Ein Mann in einem blauen Hemd steht auf einer Leiter .', 'Zwei Männer stehen am Herd und bereiten Essen zu .'];
    const sources = SOURCES.filter((line) => line !== '');
    await writeFile(join(work, 'pairs.en'), `${sources.join('\n')}\n`);
    await writeFile(join(work, 'pairs.de'), `${targets.join('\n')}\n`);
    const train = (out: string, ...extra: string[]) =>
      tunefleet([
        'train', '--task', 'translation', '--model', marian, '--source-file', join(work, 'pairs.en'), '--target-file', join(work, 'pairs.de'),
        '--validation-source-file', join(work, 'pairs.en'), '--validation-target-file', join(work, 'pairs.de'),
        '--max-steps', '1', '--per-device-train-batch-size', '3', '--output-dir', out, '--backend', 'cpu', ...extra,
      ]);
    const results = async (out: string) => JSON.parse(await readFile(join(out, 'eval_results.json'), 'utf8')) as Record<string, number>;
    const forced = join(work, 'forced');
    expect((await train(forced)).code).toBe(0);
    const generated = join(work, 'generated');
    const run = await train(generated, '--predict-with-generate', '--generation-max-length', '4', '--generation-num-beams', '2');
    expect(run.code, run.stderr).toBe(0);
    const [teacher, free] = [await results(forced), await results(generated)];
    for (const metrics of [teacher, free]) expect(Object.keys(metrics)).toEqual(expect.arrayContaining(['eval_loss', 'eval_bleu', 'eval_chrf', 'eval_gen_len']));
    // Teacher-forced: one prediction per label token (every target is longer than 3); generated: at most 3 new tokens.
    expect(teacher['eval_gen_len']).toBeGreaterThan(3);
    expect(free['eval_gen_len']).toBeLessThanOrEqual(3);
    expect(free['eval_loss']).toBeCloseTo(teacher['eval_loss']!, 5);
  }, 180_000);

  it('evaluate scores generated translations of aligned files or JSONL; predict translates like translate', async () => {
    const targets = ['Zwei junge Typen schauen auf ihre Hände .', 'Ein Mann steht auf einer Leiter .', 'Zwei Männer bereiten Essen zu .'];
    const sources = SOURCES.filter((line) => line !== '');
    await writeFile(join(work, 'eval.en'), `${sources.join('\n')}\n`);
    await writeFile(join(work, 'eval.de'), `${targets.join('\n')}\n`);
    await writeFile(join(work, 'eval.jsonl'), `${sources.map((en, i) => JSON.stringify({ translation: { en, de: targets[i] } })).join('\n')}\n`);
    const evaluate = async (...extra: string[]) => {
      const run = await tunefleet(['evaluate', '--model', marian, '--backend', 'cpu', '--generation-max-length', '6', '--generation-num-beams', '2', ...extra]);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as Record<string, number>;
    };
    const aligned = await evaluate('--file', join(work, 'eval.en'), '--target-file', join(work, 'eval.de'));
    expect(Object.keys(aligned)).toEqual(expect.arrayContaining(['eval_loss', 'eval_bleu', 'eval_chrf', 'eval_gen_len']));
    expect(Number.isFinite(aligned['eval_loss'])).toBe(true);
    const jsonl = await evaluate('--file', join(work, 'eval.jsonl'), '--source-lang', 'en', '--target-lang', 'de');
    for (const key of ['eval_loss', 'eval_bleu', 'eval_chrf', 'eval_gen_len']) expect(jsonl[key]).toBeCloseTo(aligned[key]!, 6);
    // Generated, not teacher-forced: --generation-max-length 6 leaves at most 5 new tokens.
    expect(aligned['eval_gen_len']).toBeLessThanOrEqual(5);
    const missing = await tunefleet(['evaluate', '--model', marian, '--file', join(work, 'eval.jsonl'), '--source-lang', 'en', '--backend', 'cpu']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('give --target-file');
    expect(missing.stderr).toContain('--target-lang');
    const predicted = join(work, 'predicted.jsonl');
    const run = await tunefleet(['predict', '--model', marian, '--input', input, '--output', predicted, '--batch-size', '3', '--backend', 'cpu', '--generation-max-length', '6', '--generation-num-beams', '2']);
    expect(run.code, run.stderr).toBe(0);
    const translated = join(work, 'translated.jsonl');
    expect((await tunefleet(['translate', '--model', marian, '--input', input, '--output', translated, '--batch-size', '3', '--backend', 'cpu', '--max-new-tokens', '5', '--num-beams', '2'])).code).toBe(0);
    expect(await readFile(predicted, 'utf8')).toBe(await readFile(translated, 'utf8'));
  }, 180_000);

  it('refuses a model that is not an encoder-decoder, and a bad flag, by name', async () => {
    const gpt2 = join(work, 'gpt2');
    expect((await tunefleet(['init-model', '--arch', 'gpt2', '--preset', 'tiny', '--vocab', TOKENIZER, '--output', gpt2])).code).toBe(0);
    const wrong = await tunefleet(['translate', '--model', gpt2, '--input', input, '--output', join(work, 'x.de'), '--backend', 'cpu']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/gpt2.*translation|translation.*gpt2/i);
    const flag = await translate('--output', join(work, 'y.de'), '--num-beams', '0');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--num-beams: expected an integer from 1');
  }, 120_000);
});
