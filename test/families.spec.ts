import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend } from '@tunefleet/compute';
import { loadPretrained, robertaPositionIds } from '@tunefleet/model';
import { loadTokenizer, SubwordTokenizer } from '@tunefleet/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, tunefleet } from './support/cli.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'test/fixtures');
const TOKENIZERS = join(ROOT, 'libs/tokenizer/fixtures/families');



describe('model families end to end: init-model --arch, train, reload', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tunefleet-families-'));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('fine-tunes a tiny RoBERTa (byte-level BPE) through `tunefleet train`, and the saved directory reloads and evaluates', async () => {
    const initDir = join(work, 'roberta-init');
    const outDir = join(work, 'roberta-out');
    const init = await tunefleet([
      'init-model', '--arch', 'roberta', '--preset', 'tiny', '--vocab', join(TOKENIZERS, 'roberta-bpe', 'tokenizer.json'), '--output', initDir, '--seed', '3',
    ]);
    expect(init.stderr).not.toMatch(/Error:/);
    expect(init.code).toBe(0);
    expect((await readdir(initDir)).sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(await readJson(join(initDir, 'config.json'))).toMatchObject({
      model_type: 'roberta', architectures: ['RobertaForSequenceClassification'], pad_token_id: 1, max_position_embeddings: 514, type_vocab_size: 1, hidden_size: 128,
    });

    const train = await tunefleet([
      'train', '--model', initDir, '--train-file', join(FIXTURES, 'sst2-train-120.tsv'), '--validation-file', join(FIXTURES, 'sst2-test-40.tsv'),
      '--max-seq-length', '32', '--output-dir', outDir, '--max-steps', '4', '--per-device-train-batch-size', '16', '--learning-rate', '1e-3',
      '--logging-steps', '2', '--eval-strategy', 'no', '--save-strategy', 'no', '--seed', '5',
    ]);
    expect(train.stderr).not.toMatch(/Error:/);
    expect(train.code).toBe(0);
    const losses = train.stdout.trim().split('\n').map((line) => JSON.parse(line)).filter((l) => l.event === 'log' && typeof l.loss === 'number');
    expect(losses.map((l) => l.step)).toEqual([2, 4]);
    expect(losses.every((l) => Number.isFinite(l.loss))).toBe(true);

    // The saved directory: Hugging Face layout of the same family, labels from the data, tokenizer beside it.
    const saved = await readJson(join(outDir, 'config.json'));
    expect(saved).toMatchObject({ model_type: 'roberta', architectures: ['RobertaForSequenceClassification'], id2label: { 0: '0', 1: '1' } });
    expect(await loadTokenizer(outDir)).toBeInstanceOf(SubwordTokenizer);
    await initBackend({ backend: 'cpu' });
    const initial = (await loadPretrained(initDir, { task: 'sequence-classification', numLabels: 2 })).model;
    const { model, report } = await loadPretrained(outDir, { task: 'sequence-classification' });
    expect(report).toEqual({ newlyInitialized: [], unused: [], mismatched: [] });
    const name = 'roberta.encoder.layer.0.attention.self.query.weight';
    expect(Array.from(model.parameters.get(name)!.dataSync())).not.toEqual(Array.from(initial.parameters.get(name)!.dataSync()));
    // Positions start after the padding index: the padding row of the position table never moved.
    const padRow = (m: typeof model) => Array.from(m.parameters.get('roberta.embeddings.position_embeddings.weight')!.dataSync().slice(128, 256));
    expect(padRow(model)).toEqual(padRow(initial));
    expect(Array.from(robertaPositionIds({ batchSize: 1, seqLength: 4, inputIds: Int32Array.from([0, 9, 2, 1]) }, 1))).toEqual([2, 3, 4, 1]);
    model.dispose();
    initial.dispose();

    const evaluate = await tunefleet(['evaluate', '--model', outDir, '--file', join(FIXTURES, 'sst2-test-40.tsv'), '--max-seq-length', '32']);
    expect(evaluate.stderr).not.toMatch(/Error:/);
    expect(evaluate.code).toBe(0);
    const metrics = JSON.parse(evaluate.stdout);
    expect(metrics.examples).toBe(40);
    expect(Number.isFinite(metrics.eval_loss)).toBe(true);
  }, 240_000);

  it('init-model --arch distilbert and xlm-roberta write configs of their family that load; a mismatched tokenizer is refused', async () => {
    const distil = join(work, 'distil');
    expect((await tunefleet(['init-model', '--arch', 'distilbert', '--preset', 'tiny', '--vocab', join(ROOT, 'examples/vocab.txt'), '--task', 'masked-lm', '--output', distil])).code).toBe(0);
    expect(await readJson(join(distil, 'config.json'))).toMatchObject({ model_type: 'distilbert', architectures: ['DistilBertForMaskedLM'], dim: 128, n_layers: 2, n_heads: 2, hidden_dim: 512 });
    const xlmr = join(work, 'xlmr');
    const init = await tunefleet(['init-model', '--arch', 'xlm-roberta', '--preset', 'tiny', '--vocab', join(TOKENIZERS, 'xlm-r-unigram', 'tokenizer.json'), '--task', 'token-classification', '--num-labels', '3', '--output', xlmr]);
    expect(init.stderr).not.toMatch(/Error:/);
    expect(await readJson(join(xlmr, 'config.json'))).toMatchObject({ model_type: 'xlm-roberta', architectures: ['XLMRobertaForTokenClassification'] });
    await initBackend({ backend: 'cpu' });
    for (const [dir, task] of [[distil, 'masked-lm'], [xlmr, 'token-classification']] as const) {
      const { model, report } = await loadPretrained(dir, { task });
      expect(report.newlyInitialized).toEqual([]);
      model.dispose();
    }
    const wrong = await tunefleet(['init-model', '--arch', 'roberta', '--preset', 'tiny', '--vocab', join(TOKENIZERS, 'xlm-r-unigram', 'tokenizer.json'), '--output', join(work, 'never')]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('--arch roberta needs a BPE tokenizer.json');
  }, 120_000);
});
