import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import {
  renderModelCard,
  type FrameworkVersions,
  type GateResult,
  type LogEntry,
  type ModelCardDataFile,
  type ModelCardDataset,
  type ModelCardEvaluation,
  type ModelCardTask,
  trainingArgumentsToJSON,
  type SliceReport,
} from '@tunefleet/trainer';
import { RunSpecError } from './run-spec-error.ts';
import type { RunSpec } from './run-spec.ts';

/** The Hub's pipeline tag of each run task (the card's `pipeline_tag` and model-index task type). */
const MODEL_CARD_TASKS: Readonly<Record<RunSpec['task'], ModelCardTask>> = {
  'sequence-classification': 'text-classification',
  'token-classification': 'token-classification',
  'masked-lm': 'fill-mask',
  'causal-lm': 'text-generation',
  translation: 'translation',
};

/** What a run knows beyond its RunSpec and output directory when it writes the card. */
export interface RunModelCardInput {
  readonly run: RunSpec;
  readonly frameworkVersions: FrameworkVersions;
  /** Data-parallel workers (default 1). */
  readonly worldSize?: number;
  /** Rows read per split, when known. */
  readonly rows?: { readonly train?: number; readonly validation?: number };
  /** `summarizeReport(fastChecks(...))` lines, when the checks ran. */
  readonly dataQuality?: readonly string[];
  readonly slices?: { readonly column: string; readonly report: SliceReport };
  readonly gate?: { readonly baselineModel: string; readonly results: readonly GateResult[] };
  /** The notes' text, when the caller read `model_card_notes` already (at start, to fail early); else read here. */
  readonly notes?: string;
}

/**
 * Writes `<output_dir>/README.md`, the model card, for a finished run: the one function
 * `tunefleet train` and rank 0 of a cluster job call. It reads what the Trainer left in the output
 * directory (trainer_state.json's log_history, eval_results.json, config.json's labels) and the
 * notes file (`model_card_notes`); returns the card's path.
 */
export async function writeRunModelCard(input: RunModelCardInput): Promise<string> {
  const { run } = input;
  const dir = run.training_arguments.output_dir;
  const state = await readJsonIfPresent<{ log_history?: LogEntry[] }>(join(dir, 'trainer_state.json'));
  const evalResults = await readJsonIfPresent<Record<string, number>>(join(dir, 'eval_results.json'));
  const config = await readJsonIfPresent<{ id2label?: Record<string, string> }>(join(dir, 'config.json'));
  const trainDataset = datasetOf(run.train_file, 'train');
  const evalDataset = run.validation_file ? datasetOf(run.validation_file, 'validation') : undefined;
  const evaluations: ModelCardEvaluation[] =
    evalResults === undefined || evalDataset === undefined ? [] : [{ dataset: evalDataset, metrics: scoresOnly(evalResults) }];
  const dataFiles: ModelCardDataFile[] = [
    { split: 'train', file: run.train_file, ...(input.rows?.train === undefined ? {} : { rows: input.rows.train }) },
    ...(run.validation_file
      ? [{ split: 'validation', file: run.validation_file, ...(input.rows?.validation === undefined ? {} : { rows: input.rows.validation }) }]
      : []),
  ];
  const labels = config?.id2label === undefined ? undefined : Object.entries(config.id2label).sort(([a], [b]) => Number(a) - Number(b)).map(([, label]) => label);
  const card = renderModelCard({
    modelName: basename(dir),
    task: MODEL_CARD_TASKS[run.task],
    baseModel: run.model_name_or_path,
    datasets: [trainDataset, ...(evalDataset !== undefined && evalDataset.type !== trainDataset.type ? [evalDataset] : [])],
    dataFiles,
    ...(labels === undefined ? {} : { labels }),
    trainingArguments: trainingArgumentsToJSON(run.training_arguments),
    worldSize: input.worldSize ?? 1,
    logHistory: state?.log_history ?? [],
    evaluations,
    frameworkVersions: input.frameworkVersions,
    ...(input.notes !== undefined ? { notes: input.notes } : run.model_card_notes === undefined ? {} : { notes: await readModelCardNotes(run.model_card_notes) }),
    ...(input.dataQuality === undefined ? {} : { dataQuality: input.dataQuality }),
    ...(input.slices === undefined ? {} : { slices: input.slices }),
    ...(input.gate === undefined ? {} : { gate: input.gate }),
  });
  const file = join(dir, 'README.md');
  await writeFile(file, card);
  return file;
}

// File stems that name a split, not a dataset: `sst2/train.tsv` is the dataset "sst2".
const SPLIT_STEMS = new Set(['train', 'training', 'validation', 'valid', 'val', 'dev', 'eval', 'test']);

/** A data file as model-index names a dataset: its stem ("sst2-train-120"), or its folder's name for a split file, with the split it served. */
function datasetOf(file: string, split: string): ModelCardDataset {
  const stem = basename(file, extname(file));
  const name = SPLIT_STEMS.has(stem.toLowerCase()) ? basename(dirname(resolve(file))) : stem;
  return { name, type: name, split };
}

// eval_results.json carries the epoch too; it is bookkeeping, not a score.
function scoresOnly(results: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(results).filter(([key, value]) => key !== 'epoch' && typeof value === 'number'));
}

/** The `--model-card-notes` file's text; a RunSpecError naming the field when it cannot be read. */
export async function readModelCardNotes(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new RunSpecError('model card', [
      { field: 'model_card_notes', flag: '--model-card-notes', message: `cannot read ${file} (${(error as Error).message})` },
    ]);
  }
}

async function readJsonIfPresent<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return JSON.parse(text) as T;
}
