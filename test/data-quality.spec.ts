import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readJson, tunefleet } from './support/cli.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'test/fixtures');
// The data-quality fixtures of libs/data, whose findings its specs pin line by line.
const QUALITY = join(ROOT, 'libs/data/src/quality/testdata');



/** The YAML block between the card's first two `---` lines. */
function frontMatter(card: string): any {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(card);
  expect(match).not.toBeNull();
  return parseYaml(match![1]!);
}

const SST2_TRAIN = join(FIXTURES, 'sst2-train-120.tsv');
const SST2_TEST = join(FIXTURES, 'sst2-test-40.tsv');
const SHORT_RUN = ['--max-seq-length', '32', '--per-device-train-batch-size', '16', '--learning-rate', '1e-3', '--disable-tqdm'];

describe('data quality, slices, model cards and the regression gate (CLI end to end)', () => {
  let work: string;
  let initDir: string;
  // The current model (trained from init) and a candidate trained further from it: the maintenance loop.
  let current: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tunefleet-quality-'));
    initDir = join(work, 'init');
    current = join(work, 'current');
    const init = await tunefleet(['init-model', '--preset', 'tiny', '--vocab', join(ROOT, 'examples/vocab.txt'), '--num-labels', '2', '--output', initDir]);
    expect(init.code).toBe(0);
    const train = await tunefleet(['train', '--model', initDir, '--train-file', SST2_TRAIN, '--validation-file', SST2_TEST, '--max-steps', '4', '--output-dir', current, ...SHORT_RUN]);
    expect(train.stderr).not.toMatch(/Error:/);
    expect(train.code).toBe(0);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('inspect-data reports the fixtures\' known findings, on the terminal and as JSON', async () => {
    const output = join(work, 'report.json');
    const result = await tunefleet([
      'inspect-data', '--train-file', join(QUALITY, 'train.tsv'), '--validation-file', join(QUALITY, 'validation.tsv'),
      '--test-file', join(QUALITY, 'test.tsv'), '--model', initDir, '--max-seq-length', '11', '--output', output,
    ]);
    expect(result.stderr).not.toMatch(/Error:/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('leakage: 3 validation rows also appear in train (60.0%), 1 of them with another label (lines 2, 3, 5)');
    expect(result.stdout).toContain('near duplicates (MinHash, Jaccard >= 0.8 over char 5-grams): 1 pair, 2 rows');
    const report = await readJson(output);
    const [train, validation, test] = report.splits;
    expect(report.splits.map((split: any) => [split.name, split.rows, split.badRows])).toEqual([['train', 13, 2], ['validation', 5, 0], ['test', 2, 0]]);
    expect(train.exactDuplicates).toMatchObject({ redundantRows: 2 });
    expect(train.exactDuplicates.groups.map((group: any) => group.lines)).toEqual([[2, 4], [3, 5]]);
    expect(train.conflicts.map((conflict: any) => [conflict.lines, conflict.labels])).toEqual([[[3, 5], ['0', '1']]]);
    expect(train.nearDuplicates.pairs.map((pair: any) => pair.lines)).toEqual([[8, 9]]);
    expect(train.lengths.empty).toEqual({ count: 1, lines: [10] });
    expect(train.lengths.veryShort).toEqual({ count: 2, lines: [6, 7] });
    // The tiny model's WordPiece tokenizer, special tokens included, against max_seq_length 11.
    expect(train.lengths.tokens.truncated).toEqual({ count: 4, lines: [8, 9, 11, 13], share: 4 / 13 });
    expect(train.encoding.mojibake.lines).toEqual([12, 13]);
    expect(train.encoding.invalidUtf8.lines).toEqual([16]);
    expect(validation.leakage).toMatchObject({ count: 3, share: 0.6, labelDiffers: 1 });
    expect(test.labels).toBeUndefined();
    expect(test.leakage).toMatchObject({ count: 1, share: 0.5 });
  });

  it('train prints the fast checks\' warnings at start and writes a model card with them and the notes', async () => {
    const notes = join(work, 'notes.md');
    await writeFile(notes, 'For sentiment research on English movie reviews.\n\nNot for decisions about people.\n');
    const outDir = join(work, 'quality-run');
    const result = await tunefleet([
      'train', '--model', initDir, '--train-file', join(QUALITY, 'train.tsv'), '--validation-file', join(QUALITY, 'validation.tsv'),
      '--skip-bad-rows', '--max-seq-length', '16', '--max-steps', '2', '--output-dir', outDir, '--model-card-notes', notes, '--disable-tqdm',
    ]);
    expect(result.code).toBe(0);
    const warnings = result.stderr.split('\n').filter((line) => line.startsWith('data quality warning: '));
    expect(warnings).toContain('data quality warning: 3 validation rows also appear in train (60.0%), 1 of them with another label (lines 2, 3, 5)');
    expect(warnings).toContain('data quality warning: train: 1 text appears with different labels (lines 3:0/5:1)');
    expect(warnings).toContain('data quality warning: train: 2 rows repeat an earlier row (2 groups: lines 2=4, 3=5)');
    expect(warnings).toContain('data quality warning: train: 1 row (7.7%) longer than max_seq_length 16 will be truncated (line 11)');
    // Printed before training starts.
    expect(result.stderr.indexOf('data quality warning')).toBeLessThan(result.stderr.indexOf('training done'));

    const card = await readFile(join(outDir, 'README.md'), 'utf8');
    const metadata = frontMatter(card);
    expect(metadata).toMatchObject({ library_name: 'transformers', base_model: initDir, pipeline_tag: 'text-classification', datasets: ['testdata'] });
    expect(metadata.tags).toEqual(expect.arrayContaining(['tunefleet', 'text-classification']));
    expect(metadata.metrics).toEqual(expect.arrayContaining(['accuracy', 'f1']));
    const [entry] = metadata['model-index'];
    expect(entry.name).toBe('quality-run');
    const evalResults = await readJson(join(outDir, 'eval_results.json'));
    const accuracy = entry.results[0].metrics.find((metric: any) => metric.type === 'accuracy' && metric.config === undefined);
    expect(accuracy.value).toBe(evalResults.eval_accuracy);
    expect(entry.results[0].task.type).toBe('text-classification');
    for (const section of ['## Intended uses & limitations', '## Training and evaluation data', '### Data quality', '### Training hyperparameters', '## Framework versions']) {
      expect(card).toContain(section);
    }
    expect(card).toContain('For sentiment research on English movie reviews.\n\nNot for decisions about people.');
    expect(card).toContain('leakage: 3 validation rows also appear in train (60.0%)');
    expect(card).toMatch(/- tunefleet 0\.1\.0\n- Node\.js v\d+\.\d+\.\d+\n- @tensorflow\/tfjs-core \d+\.\d+\.\d+\n- Backend: (native|wasm|cpu|tensorflow)/);
  });

  it('every output directory gets a card: the model trained without notes marks the placeholder', async () => {
    const card = await readFile(join(current, 'README.md'), 'utf8');
    expect(frontMatter(card)).toMatchObject({ base_model: initDir, datasets: ['sst2-train-120', 'sst2-test-40'] });
    expect(card).toContain('## Intended uses & limitations\n\n[More Information Needed]');
  });

  it('evaluate --group-column reports every metric per group with sizes, the largest gap and the too-small group', async () => {
    // Labels built from the model's own predictions: group "a" all right (1.0), "b" right on 45 of 60
    // (0.75), "c" 5 rows (under the minimum of 30, reported but not compared).
    const sentences = (await Promise.all([SST2_TRAIN, SST2_TEST].map((file) => readFile(file, 'utf8'))))
      .flatMap((text) => text.trim().split('\n').slice(1).map((line) => line.split('\t')[0]!));
    const input = join(work, 'sentences.txt');
    await writeFile(input, `${sentences.slice(0, 125).join('\n')}\n`);
    const predictions = join(work, 'predictions.jsonl');
    expect((await tunefleet(['predict', '--model', current, '--input', input, '--output', predictions, '--max-seq-length', '32'])).code).toBe(0);
    const predicted = (await readFile(predictions, 'utf8')).trim().split('\n').map((line) => JSON.parse(line).label as string);
    expect(predicted).toHaveLength(125);
    const flip = (label: string): string => (label === '0' ? '1' : '0');
    const rows = predicted.map((label, i) => {
      const group = i < 60 ? 'a' : i < 120 ? 'b' : 'c';
      const isWrong = group === 'b' && i - 60 < 15;
      return `${sentences[i]}\t${isWrong ? flip(label) : label}\t${group}`;
    });
    const file = join(work, 'groups.tsv');
    await writeFile(file, `sentence\tlabel\tgroup\n${rows.join('\n')}\n`);
    const result = await tunefleet(['evaluate', '--model', current, '--file', file, '--group-column', 'group', '--max-seq-length', '32']);
    expect(result.code).toBe(0);
    const { slices, eval_accuracy } = JSON.parse(result.stdout);
    expect(eval_accuracy).toBeCloseTo(110 / 125, 12);
    expect(slices.column).toBe('group');
    expect(slices.groups.map((group: any) => [group.group, group.size, group.metrics.accuracy, group.isTooSmall])).toEqual([
      ['a', 60, 1, false],
      ['b', 60, 0.75, false],
      ['c', 5, 1, true],
    ]);
    expect(slices.tooSmall).toEqual(['c']);
    expect(slices.gaps.find((gap: any) => gap.metric === 'accuracy')).toEqual({ metric: 'accuracy', gap: 0.25, highest: { group: 'a', value: 1 }, lowest: { group: 'b', value: 0.75 } });
    expect(result.stderr).toContain('  c: n=5, accuracy 1.0000');
    expect(result.stderr).toContain('(too small: under 30, not compared)');
  });

  describe('retraining: continue from the current model, compare, gate', () => {
    let candidate: string;

    it('train --baseline-model --gate passes, exits 0 and records the promotion', async () => {
      candidate = join(work, 'candidate');
      const result = await tunefleet([
        'train', '--model', current, '--train-file', SST2_TRAIN, '--validation-file', SST2_TEST, '--max-steps', '2', '--output-dir', candidate,
        '--baseline-model', current, '--gate', 'accuracy>=-100', '--gate', 'eval_loss<=100', ...SHORT_RUN,
      ]);
      expect(result.stderr).not.toMatch(/Error:/);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/gate accuracy>=-100 passed: eval_accuracy \d\.\d{4} vs baseline \d\.\d{4}, change [+-]\d+\.\d\d points/);
      expect(result.stderr).toContain('gate eval_loss<=100 passed');
      const promotion = await readJson(join(candidate, 'promotion.json'));
      expect(promotion).toMatchObject({ promoted: true, baseline_model: current, validation_file: SST2_TEST });
      expect(promotion.gates.map((gate: any) => [gate.gate, gate.passed])).toEqual([['accuracy>=-100', true], ['eval_loss<=100', true]]);
      expect(await readFile(join(candidate, 'README.md'), 'utf8')).toContain(`Compared with the baseline \`${current}\`: **promoted**.`);
    });

    it('a failing gate exits 3 with the numbers; the model is saved and marked not promoted', async () => {
      const rejected = join(work, 'rejected');
      const result = await tunefleet([
        'train', '--model', current, '--train-file', SST2_TRAIN, '--validation-file', SST2_TEST, '--max-steps', '1', '--output-dir', rejected,
        '--baseline-model', current, '--gate', 'accuracy>100', ...SHORT_RUN,
      ]);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/gate accuracy>100 failed: eval_accuracy \d\.\d{4} vs baseline \d\.\d{4}, change [+-]\d+\.\d\d points \(needs > 100 points\)/);
      expect(result.stderr).toContain('not promoted');
      await access(join(rejected, 'model.safetensors'));
      expect((await readJson(join(rejected, 'promotion.json'))).promoted).toBe(false);
      expect(await readFile(join(rejected, 'README.md'), 'utf8')).toContain('**not promoted**');
    });

    it('a malformed gate is refused before training', async () => {
      const result = await tunefleet(['train', '--model', current, '--train-file', SST2_TRAIN, '--output-dir', join(work, 'never'), '--baseline-model', current, '--gate', 'accuracy=>1']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('gate.0 (--gate): must be <metric><op><number>');
    });

    it('compare prints both models, B - A with its paired bootstrap interval, and per-class changes', async () => {
      const result = await tunefleet(['compare', '--model', current, '--model', candidate, '--file', SST2_TEST, '--max-seq-length', '32', '--resamples', '200', '--seed', '3']);
      expect(result.stderr).not.toMatch(/Error:/);
      expect(result.code).toBe(0);
      const output = JSON.parse(result.stdout);
      const evaluate = async (model: string): Promise<any> => JSON.parse((await tunefleet(['evaluate', '--model', model, '--file', SST2_TEST, '--max-seq-length', '32'])).stdout);
      const [a, b] = [await evaluate(current), await evaluate(candidate)];
      expect([output.a.eval_accuracy, output.b.eval_accuracy]).toEqual([a.eval_accuracy, b.eval_accuracy]);
      expect([output.size, output.resamples, output.seed, output.groupedBy]).toEqual([40, 200, 3, 'label']);
      const accuracy = output.metrics.find((entry: any) => entry.metric === 'accuracy');
      expect(accuracy.difference).toBeCloseTo(b.eval_accuracy - a.eval_accuracy, 12);
      expect(accuracy.low).toBeLessThanOrEqual(accuracy.difference);
      expect(accuracy.high).toBeGreaterThanOrEqual(accuracy.difference);
      expect(output.groups.map((group: any) => [group.group, group.size])).toEqual([['0', 20], ['1', 20]]);
      expect(result.stderr).toContain('paired bootstrap: 40 examples, 200 resamples, seed 3');
      expect(result.stderr).toMatch(/ {2}accuracy: A \d\.\d{4}, B \d\.\d{4}, B - A [+-]\d\.\d{4} \[95% CI [+-]\d\.\d{4}, [+-]\d\.\d{4}\]/);
    });
  });
});
