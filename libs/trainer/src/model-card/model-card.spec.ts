import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evaluateGates, parseGate } from '../evaluation/regression-gate.ts';
import { sliceMetrics } from '../evaluation/slice-metrics.ts';
import { classificationMetric } from '../evaluation/metric-function.ts';
import { parseTrainingArguments, trainingArgumentsToJSON } from '../training-arguments.ts';
import type { ModelCardInput } from './model-card-input.ts';
import { renderModelCard } from './model-card.ts';
import { MORE_INFORMATION_NEEDED } from './model-card-sections.ts';

const args = trainingArgumentsToJSON(
  parseTrainingArguments({ output_dir: 'runs/sst2', learning_rate: 2e-5, num_train_epochs: 2, eval_strategy: 'epoch', warmup_ratio: 0.1 }, 'test'),
);

const input: ModelCardInput = {
  modelName: 'sst2-bert-base',
  task: 'text-classification',
  baseModel: 'bert-base-uncased',
  datasets: [{ name: 'SST-2', type: 'sst2', split: 'validation' }],
  dataFiles: [
    { split: 'train', file: 'data/sst2/train.tsv', rows: 6920 },
    { split: 'validation', file: 'data/sst2/dev.tsv', rows: 872 },
  ],
  labels: ['negative', 'positive'],
  trainingArguments: args,
  logHistory: [
    { loss: 0.61, learning_rate: 1.5e-5, epoch: 0.5, step: 100 },
    { loss: 0.42, learning_rate: 1e-5, epoch: 1, step: 200 },
    { eval_loss: 0.38, eval_accuracy: 0.8876, eval_f1: 0.8901, eval_runtime: 3.1, eval_samples_per_second: 281, epoch: 1, step: 200 },
    { loss: 0.3, learning_rate: 0, epoch: 2, step: 400 },
    { eval_loss: 0.35, eval_accuracy: 0.9002, eval_f1: 0.9034, eval_runtime: 3.0, eval_samples_per_second: 290, epoch: 2, step: 400 },
  ],
  evaluations: [
    {
      dataset: { name: 'SST-2', type: 'sst2', split: 'validation' },
      metrics: { eval_loss: 0.35, eval_accuracy: 0.9002, eval_f1: 0.9034, eval_f1_macro: 0.9001, eval_runtime: 3.0, epoch: 2 },
    },
  ],
  frameworkVersions: { tunefleet: '0.1.0', node: 'v20.11.1', tfjsCore: '4.22.0', backend: 'native' },
};

/** The YAML between the first two `---` lines, parsed; and the markdown after it. */
function split(card: string): { metadata: Record<string, any>; body: string } {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(card);
  if (match === null) throw new Error(`no YAML block at the top of:\n${card.slice(0, 200)}`);
  return { metadata: parse(match[1]!), body: match[2]! };
}

describe('renderModelCard: metadata', () => {
  const { metadata } = split(renderModelCard(input));

  it('carries the required keys', () => {
    expect(Object.keys(metadata)).toEqual(['library_name', 'base_model', 'tags', 'pipeline_tag', 'datasets', 'metrics', 'model-index']);
    expect(metadata).toMatchObject({
      library_name: 'transformers',
      base_model: 'bert-base-uncased',
      tags: ['tunefleet', 'generated_from_tunefleet', 'text-classification'],
      pipeline_tag: 'text-classification',
      datasets: ['sst2'],
      metrics: ['accuracy', 'f1'],
    });
  });

  it('has a well-formed model-index with the evaluation results (losses and timings left out)', () => {
    expect(metadata['model-index']).toEqual([
      {
        name: 'sst2-bert-base',
        results: [
          {
            task: { type: 'text-classification', name: 'Text Classification' },
            dataset: { name: 'SST-2', type: 'sst2', split: 'validation' },
            metrics: [
              { type: 'accuracy', value: 0.9002, name: 'Accuracy' },
              { type: 'f1', value: 0.9034, name: 'F1' },
              { type: 'f1', value: 0.9001, name: 'F1 Macro', config: 'macro' },
            ],
          },
        ],
      },
    ]);
  });

  it('keeps strings YAML 1.1 would misread as strings, and leaves out what is unknown', () => {
    const { metadata: minimal } = split(
      renderModelCard({ modelName: 'yes', task: 'token-classification', frameworkVersions: input.frameworkVersions, tags: ['no'] }),
    );
    expect(minimal).toEqual({
      library_name: 'transformers',
      tags: ['tunefleet', 'generated_from_tunefleet', 'token-classification', 'no'],
      pipeline_tag: 'token-classification',
      'model-index': [{ name: 'yes', results: [] }],
    });
  });
});

describe('renderModelCard: sections', () => {
  const { body } = split(renderModelCard(input));
  const headings = body.split('\n').filter((line) => line.startsWith('#'));

  it('has HF\'s sections in HF\'s order', () => {
    expect(headings).toEqual([
      '# sst2-bert-base',
      '## Model description',
      '## Intended uses & limitations',
      '## Training and evaluation data',
      '## Training procedure',
      '### Training hyperparameters',
      '### Training results',
      '## Framework versions',
    ]);
  });

  it('opens with the base model, the data and the final results', () => {
    expect(body).toContain(
      [
        'This model is a fine-tuned version of [bert-base-uncased](https://huggingface.co/bert-base-uncased) on the SST-2 dataset, trained with tunefleet.',
        'It achieves the following results on the evaluation set (SST-2):',
        '- Loss: 0.3500',
        '- Accuracy: 0.9002',
        '- F1: 0.9034',
        '- F1 Macro: 0.9001',
      ].join('\n'),
    );
    expect(body).toContain('A sequence classifier over 2 labels: `negative`, `positive`.');
    expect(body).toContain('- train: `data/sst2/train.tsv` (6920 rows)\n- validation: `data/sst2/dev.tsv` (872 rows)');
  });

  it('marks intended uses as a placeholder without notes, and uses the notes when given', () => {
    expect(body).toContain(`## Intended uses & limitations\n\n${MORE_INFORMATION_NEEDED}\n`);
    const withNotes = renderModelCard({ ...input, notes: 'For English movie reviews only.\n' });
    expect(withNotes).toContain('## Intended uses & limitations\n\nFor English movie reviews only.\n');
    expect(withNotes).not.toContain(MORE_INFORMATION_NEEDED);
  });

  it('lists the hyperparameters HF lists, and all arguments as JSON', () => {
    expect(body).toContain(
      [
        'The following hyperparameters were used during training:',
        '- learning_rate: 0.00002',
        '- train_batch_size: 8',
        '- eval_batch_size: 8',
        '- seed: 42',
        '- gradient_accumulation_steps: 1',
        '- lr_scheduler_type: linear',
        '- lr_scheduler_warmup_ratio: 0.1',
        '- num_epochs: 2',
        '- weight_decay: 0',
        '- max_grad_norm: 1',
        '- optimizer: AdamW with betas=(0.9,0.999) and epsilon=1e-8',
      ].join('\n'),
    );
    const distributed = renderModelCard({ ...input, worldSize: 4 });
    expect(distributed).toContain('- seed: 42\n- num_workers: 4\n');
    expect(distributed).toContain('- max_grad_norm: 1\n- total_train_batch_size: 32\n- optimizer: AdamW');
    const json = /```json\n([\s\S]*?)\n```/.exec(body)![1]!;
    expect(JSON.parse(json)).toEqual(args);
  });

  it('tabulates each evaluation with the training loss logged by then', () => {
    expect(body).toContain(
      [
        '| Training Loss | Epoch | Step | Validation Loss | Accuracy | F1 |',
        '| --- | --- | --- | --- | --- | --- |',
        '| 0.4200 | 1 | 200 | 0.3800 | 0.8876 | 0.8901 |',
        '| 0.3000 | 2 | 400 | 0.3500 | 0.9002 | 0.9034 |',
      ].join('\n'),
    );
  });

  it('names the framework versions', () => {
    expect(body.endsWith('## Framework versions\n\n- tunefleet 0.1.0\n- Node.js v20.11.1\n- @tensorflow/tfjs-core 4.22.0\n- Backend: native\n')).toBe(true);
  });

  it('never prints undefined or NaN', () => {
    expect(body).not.toMatch(/undefined|NaN/);
  });
});

describe('renderModelCard: findings', () => {
  const labels = Array.from({ length: 80 }, (_, i) => i % 2);
  const predictions = labels.map((label, i) => (i < 40 ? label : i < 70 ? label : 1 - label));
  const groups = labels.map((_, i) => (i < 40 ? 'movies' : i < 75 ? 'books' : 'music'));
  const slices = sliceMetrics({ predictions, labels, groups, metric: classificationMetric(2) });
  const gate = evaluateGates([parseGate('accuracy>=-0.5')], { eval_accuracy: 0.89 }, { eval_accuracy: 0.9 });
  const card = renderModelCard({
    ...input,
    baseModel: './runs/previous',
    dataQuality: ['train (train.tsv): 6920 rows', '  exact duplicates: 9 groups'],
    slices: { column: 'domain', report: slices },
    gate: { baselineModel: 'runs/previous', results: gate.results },
  });

  it('adds the data quality, slice and gate sections', () => {
    expect(card).toContain('### Data quality\n\nFound by the data-quality checks `tunefleet train` runs before training (`tunefleet inspect-data` also looks for near duplicates):\n\n```\ntrain (train.tsv): 6920 rows\n  exact duplicates: 9 groups\n```');
    expect(card).toContain(
      [
        '## Slice metrics (domain)',
        '',
        'Metrics per value of `domain` on the evaluation set.',
        '',
        '| Group | Size | Accuracy | F1 | Note |',
        '| --- | --- | --- | --- | --- |',
        `| books | 35 | ${(30 / 35).toFixed(4)} | ${slices.groups[0]!.metrics['f1']!.toFixed(4)} |  |`,
        '| movies | 40 | 1.0000 | 1.0000 |  |',
        '| music | 5 | 0.0000 | 0.0000 | too small (< 30), not compared |',
        '',
        `- Largest Accuracy gap: ${((1 - 30 / 35) * 100).toFixed(2)} points (movies 1.0000 vs books ${(30 / 35).toFixed(4)})`,
      ].join('\n'),
    );
    expect(card).toContain(
      '## Regression gate\n\nCompared with the baseline `runs/previous`: **not promoted**.\n\n' +
        '- gate accuracy>=-0.5 failed: eval_accuracy 0.8900 vs baseline 0.9000, change -1.00 points (needs >= -0.5 points)',
    );
  });

  it('quotes a local base model instead of linking it', () => {
    expect(card).toContain('fine-tuned version of `./runs/previous` on the SST-2 dataset');
    expect(split(card).metadata['base_model']).toBe('./runs/previous');
  });
});
