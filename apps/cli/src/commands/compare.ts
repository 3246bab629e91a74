import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readGroupColumn } from '@tunefleet/data';
import type { RunSpec } from '@tunefleet/run';
import {
  classificationMetric,
  evaluateGates,
  pairedBootstrap,
  parseGate,
  summarizeBootstrap,
  type GateResult,
  type PairedBootstrapResult,
} from '@tunefleet/trainer';
import { startBackend } from '../backend.ts';
import { CliConfigError } from '../cli-config-error.ts';
import type { CompareOptions } from '../inference-options.ts';
import { scoreModel, type ScoredModel, type ScoreOptions } from './evaluate.ts';

export interface CompareInput extends CompareOptions {
  /** The two `--model` flags: A (the current model, the baseline) then B (the candidate). */
  readonly models: readonly string[];
  readonly file: string;
  readonly batchSize: number;
  readonly resamples: number;
  readonly seed: number;
}

// Shown on the terminal; the JSON on stdout has every metric.
const SHOWN_METRICS = ['accuracy', 'f1', 'f1_macro'];

/**
 * `tunefleet compare --model A --model B --file FILE`: both models' metrics on the same examples,
 * B - A with a paired bootstrap interval, and the change per class (or per `--group-column` value).
 * JSON on stdout, a summary on stderr.
 */
export async function runCompare(input: CompareInput): Promise<number> {
  if (input.models.length !== 2) {
    throw new CliConfigError(`compare: give exactly two --model flags (A, the current model, then B, the candidate); got ${input.models.length}`);
  }
  await startBackend(input);
  const [a, b] = [await scoreModel(input.models[0]!, input.file, input), await scoreModel(input.models[1]!, input.file, input)];
  checkSameLabels(a, b);
  const groups = input.group_column === undefined ? a.examples.map((example) => example.label!) : await readGroupColumn(input.file, input.group_column, a.examples);
  const numLabels = Object.keys(a.labelMap.label2id).length;
  const bootstrap = pairedBootstrap({
    labels: a.labels,
    predictionsA: a.predictions,
    predictionsB: b.predictions,
    metric: classificationMetric(numLabels),
    resamples: input.resamples,
    seed: input.seed,
    groups,
  });
  process.stderr.write(`${summaryLines(input, a, b, bootstrap).join('\n')}\n`);
  const output = {
    file: input.file,
    examples: a.examples.length,
    a: { model: a.model, ...a.metrics },
    b: { model: b.model, ...b.metrics },
    groupedBy: input.group_column ?? 'label',
    ...bootstrap,
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  return 0;
}

function summaryLines(input: CompareInput, a: ScoredModel, b: ScoredModel, bootstrap: PairedBootstrapResult): string[] {
  const by = input.group_column === undefined ? 'class (label)' : input.group_column;
  const loss = (scored: ScoredModel): string => (scored.metrics['eval_loss'] === undefined ? '' : `, eval_loss ${scored.metrics['eval_loss'].toFixed(4)}`);
  return [
    `A: ${a.model}${loss(a)}`,
    `B: ${b.model}${loss(b)}`,
    `B - A overall, then per ${by}${input.group_column === undefined ? ' (accuracy within a class is its recall)' : ''}:`,
    ...summarizeBootstrap(bootstrap, SHOWN_METRICS, input.group_column === undefined ? ['accuracy'] : SHOWN_METRICS),
  ];
}

/** Predictions compare only when class id k means the same label in both models. */
function checkSameLabels(a: ScoredModel, b: ScoredModel): void {
  const labelsOf = (scored: ScoredModel): string => JSON.stringify(scored.labelMap.id2label);
  if (labelsOf(a) !== labelsOf(b)) {
    throw new CliConfigError(
      `compare: ${a.model} has labels ${labelsOf(a)} but ${b.model} has ${labelsOf(b)}; models compare only with the same label2id (config.json)`,
    );
  }
}

/** What `train --baseline-model DIR --gate ...` decided, as promotion.json records it. */
export interface Promotion {
  readonly isPromoted: boolean;
  readonly baselineModel: string;
  readonly validationFile: string;
  readonly results: readonly GateResult[];
}

/**
 * The regression gate at the end of `train`: the new model (the output directory) and the baseline
 * scored by the same code on the validation file, every gate evaluated on the two metric sets.
 */
export async function runRegressionGate(run: RunSpec, candidate: ScoredModel): Promise<Promotion> {
  const baselineModel = run.baseline_model!;
  const validationFile = run.validation_file!;
  const baseline = await scoreModel(baselineModel, validationFile, scoreOptionsOf(run));
  checkSameLabels(baseline, candidate);
  const gates = (run.gate ?? []).map(parseGate);
  const { isPassed, results } = evaluateGates(gates, candidate.metrics, baseline.metrics);
  return { isPromoted: isPassed, baselineModel, validationFile, results };
}

/** The run's columns and truncation, for scoring a model as the run read its data. */
export function scoreOptionsOf(run: RunSpec): ScoreOptions {
  return {
    text_column: run.text_column,
    text_pair_column: run.text_pair_column,
    label_column: run.label_column,
    max_seq_length: run.max_seq_length,
    batchSize: run.training_arguments.per_device_eval_batch_size,
  };
}

/** `<output_dir>/promotion.json`: whether the model may replace the baseline, with the numbers. */
export async function writePromotion(dir: string, promotion: Promotion): Promise<string> {
  const file = join(dir, 'promotion.json');
  const record = {
    promoted: promotion.isPromoted,
    baseline_model: promotion.baselineModel,
    validation_file: promotion.validationFile,
    gates: promotion.results.map((result) => ({
      gate: result.gate.text,
      passed: result.isPassed,
      metric: result.key,
      candidate: result.candidate,
      baseline: result.baseline,
      change: result.change,
      unit: result.gate.unit,
    })),
  };
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}
