import type { GateResult } from '../evaluation/regression-gate.ts';
import type { SliceReport } from '../evaluation/slice-metrics.ts';
import type { LogEntry } from '../trainer-types.ts';

/** The pipeline tags tunefleet trains for (model-index `task.type`). */
export type ModelCardTask = 'text-classification' | 'token-classification' | 'fill-mask' | 'text-generation' | 'translation';

/** A dataset as model-index names it: `type` is its id ("glue", or a file's stem), `name` what readers see. */
export interface ModelCardDataset {
  readonly name: string;
  readonly type: string;
  /** e.g. "sst2" for glue. */
  readonly config?: string;
  readonly split?: string;
}

/** One evaluation of the final model: the dataset and its metrics as the Trainer returns them (`eval_accuracy`, ...). */
export interface ModelCardEvaluation {
  readonly dataset: ModelCardDataset;
  readonly metrics: Readonly<Record<string, number>>;
}

/** A split the model was trained or evaluated on, as the card's data section lists it. */
export interface ModelCardDataFile {
  readonly split: string;
  readonly file: string;
  readonly rows?: number;
}

/** What the card is written from; everything but the name, task and versions is optional. */
export interface ModelCardInput {
  /** The output directory's name, e.g. "sst2-bert-base". */
  readonly modelName: string;
  readonly task: ModelCardTask;
  /** A Hub id ("bert-base-uncased") or the directory the run started from. */
  readonly baseModel?: string;
  readonly license?: string;
  readonly language?: string;
  /** Extra tags; "tunefleet" and the task are always there. */
  readonly tags?: readonly string[];
  readonly datasets?: readonly ModelCardDataset[];
  readonly dataFiles?: readonly ModelCardDataFile[];
  /** id2label's names, in id order. */
  readonly labels?: readonly string[];
  /** `trainingArgumentsToJSON(args)`. */
  readonly trainingArguments?: Readonly<Record<string, unknown>>;
  /** Data-parallel workers the run trained on (default 1): the total batch is per-device x accumulation x this. */
  readonly worldSize?: number;
  /** trainer_state.json's log_history. */
  readonly logHistory?: readonly LogEntry[];
  readonly evaluations?: readonly ModelCardEvaluation[];
  readonly frameworkVersions: FrameworkVersions;
  /** The text of `--model-card-notes FILE`: intended uses and limitations. */
  readonly notes?: string;
  /** `summarizeReport(report)` lines of the data-quality inspection, when it ran. */
  readonly dataQuality?: readonly string[];
  readonly slices?: { readonly column: string; readonly report: SliceReport };
  /** The regression gate against a baseline, when one was given. */
  readonly gate?: { readonly baselineModel: string; readonly results: readonly GateResult[] };
}

export interface FrameworkVersions {
  readonly tunefleet: string;
  /** `process.version`, e.g. "v20.11.1". */
  readonly node: string;
  readonly tfjsCore: string;
  /** The tfjs backend the run used ("tensorflow", "native", "wasm", "cpu"). */
  readonly backend: string;
}
