import { stringify } from 'yaml';
import type { ModelCardEvaluation, ModelCardInput, ModelCardTask } from './model-card-input.ts';
import { metricTitle, scoreName } from './metric-names.ts';

const TASK_NAMES: Readonly<Record<ModelCardTask, string>> = {
  'text-classification': 'Text Classification',
  'token-classification': 'Token Classification',
  'fill-mask': 'Fill-Mask',
  'text-generation': 'Text Generation',
  translation: 'Translation',
};

// Metric ids of the Hub that classification results map to; a score named e.g. "f1_macro" is
// type "f1" with config "macro" (model-index's `config` is the metric's configuration).
const METRIC_TYPES = ['accuracy', 'precision', 'recall', 'f1', 'matthews_correlation'];

export interface ModelIndexMetric {
  readonly type: string;
  readonly value: number;
  readonly name: string;
  readonly config?: string;
}

export interface ModelIndexResult {
  readonly task: { readonly type: ModelCardTask; readonly name: string };
  readonly dataset: { readonly name: string; readonly type: string; readonly config?: string; readonly split?: string };
  readonly metrics: readonly ModelIndexMetric[];
}

/**
 * The card's YAML front matter as the Hub reads it. library_name is "transformers": the output
 * directory is config.json + model.safetensors under Hugging Face's parameter names, which
 * `AutoModelForSequenceClassification.from_pretrained` loads as it is; the "tunefleet" tag says
 * what trained it.
 */
export function modelCardMetadata(input: ModelCardInput): Record<string, unknown> {
  const scores = input.evaluations?.flatMap((evaluation) => modelIndexMetrics(evaluation).map((metric) => metric.type)) ?? [];
  const metadata: Record<string, unknown> = {
    library_name: 'transformers',
    license: input.license,
    language: input.language,
    base_model: input.baseModel,
    tags: [...new Set(['tunefleet', 'generated_from_tunefleet', input.task, ...(input.tags ?? [])])],
    pipeline_tag: input.task,
    datasets: input.datasets === undefined ? undefined : [...new Set(input.datasets.map((dataset) => dataset.type))],
    metrics: scores.length === 0 ? undefined : [...new Set(scores)],
    'model-index': [{ name: input.modelName, results: (input.evaluations ?? []).map((evaluation) => modelIndexResult(input.task, evaluation)) }],
  };
  return Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== undefined));
}

/** `---\n<yaml>---\n`. YAML 1.1 quoting so "yes", "no" and dates stay strings for every parser. */
export function renderMetadataBlock(metadata: Record<string, unknown>): string {
  return `---\n${stringify(metadata, { version: '1.1', lineWidth: 0 })}---\n`;
}

function modelIndexResult(task: ModelCardTask, evaluation: ModelCardEvaluation): ModelIndexResult {
  const { name, type, config, split } = evaluation.dataset;
  const dataset = { name, type, ...(config === undefined ? {} : { config }), ...(split === undefined ? {} : { split }) };
  return { task: { type: task, name: TASK_NAMES[task] }, dataset, metrics: modelIndexMetrics(evaluation) };
}

/** The scores of one evaluation that have a Hub metric id (losses and timings do not). */
export function modelIndexMetrics(evaluation: ModelCardEvaluation): ModelIndexMetric[] {
  const metrics: ModelIndexMetric[] = [];
  for (const [key, value] of Object.entries(evaluation.metrics)) {
    const name = scoreName(key);
    if (name === undefined || !Number.isFinite(value)) continue;
    const type = METRIC_TYPES.find((metric) => name === metric || name.startsWith(`${metric}_`));
    if (type === undefined) continue;
    const config = name === type ? undefined : name.slice(type.length + 1);
    metrics.push({ type, value, name: metricTitle(name), ...(config === undefined ? {} : { config }) });
  }
  return metrics;
}
