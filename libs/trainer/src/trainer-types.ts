import type * as tf from '@tensorflow/tfjs-core';
import type { ModelBatch, TrainableModel } from '@tunefleet/model';
import type { BatchSource } from './batch-source.ts';
import type { FusedAdamWKernel } from './fused-adamw.ts';
import type { GradientSync } from './gradient-sync.ts';
import type { TrainingArguments } from './training-arguments.ts';

/** HF's EvalPrediction: every batch's logits concatenated, padded with -100 along the sequence axis. */
export interface EvalPrediction {
  readonly logits: Float32Array;
  /** `[examples, numLabels]` or `[examples, seq, numLabels]`. */
  readonly shape: readonly number[];
  /** `[examples]` or `[examples, seq]` (-100 = no label), absent when the dataset has no labels. */
  readonly labelIds?: Int32Array;
}

export interface PredictionOutput extends EvalPrediction {
  readonly metrics: Record<string, number>;
}

export interface TrainOutput {
  readonly globalStep: number;
  /** Mean training loss over the optimizer steps of this run (HF's train_loss). */
  readonly trainingLoss: number;
  readonly metrics: Record<string, number>;
}

/** One log_history entry: numbers keyed as in Hugging Face (`loss`, `eval_loss`, `epoch`, `step`, ...). */
export type LogEntry = Record<string, number>;

/** What callbacks see of the run; a fresh snapshot on each call. */
export interface TrainerProgress {
  readonly globalStep: number;
  readonly maxSteps: number;
  /** Fractional epoch, e.g. 1.5 half-way through the second epoch (HF's state.epoch). */
  readonly epoch: number;
  readonly numTrainEpochs: number;
  /** Examples this rank has trained on in this train() call (a resumed run starts again from 0). */
  readonly samplesSeen: number;
  /** Loss of the last optimizer step, averaged over micro-batches and ranks; NaN before the first. */
  readonly loss: number;
  readonly learningRate: number;
  readonly bestMetric: number | null;
  readonly bestModelCheckpoint: string | null;
  readonly isWorldProcessZero: boolean;
}

/** Hooks the CLI uses for its progress bar and reports; all optional, may be async. */
export interface TrainerCallbacks {
  onTrainBegin?(state: TrainerProgress): void | Promise<void>;
  onStepEnd?(state: TrainerProgress): void | Promise<void>;
  onLog?(entry: LogEntry, state: TrainerProgress): void | Promise<void>;
  onEvaluate?(metrics: Record<string, number>, state: TrainerProgress): void | Promise<void>;
  onSave?(dir: string, state: TrainerProgress): void | Promise<void>;
  onTrainEnd?(state: TrainerProgress): void | Promise<void>;
}

export type ComputeMetrics = (prediction: EvalPrediction) => Record<string, number>;

/**
 * Hugging Face's `preprocess_logits_for_metrics`: reduces each evaluation batch's logits before they
 * are gathered (computeMetrics then sees the reduced values), e.g. a language model's vocabulary
 * axis to the label's log-likelihood and the argmax.
 */
export type PreprocessLogitsForMetrics = (logits: tf.Tensor, batch: ModelBatch) => tf.Tensor;

/**
 * Seq2SeqTrainer's `predict_with_generate`: metrics of what the model generates over `dataset`
 * (`batchSize` sources at a time, with generation_max_length / generation_num_beams from `args`),
 * in place of computeMetrics on the teacher-forced logits; the loss stays the teacher-forced one.
 */
export type GenerationMetrics = (dataset: BatchSource, batchSize: number, args: TrainingArguments) => Record<string, number>;

export interface TrainerOptions {
  readonly model: TrainableModel;
  readonly args: TrainingArguments;
  readonly trainDataset?: BatchSource;
  readonly evalDataset?: BatchSource;
  readonly computeMetrics?: ComputeMetrics;
  readonly preprocessLogitsForMetrics?: PreprocessLogitsForMetrics;
  /** Used instead of computeMetrics when `predict_with_generate` is on. */
  readonly generationMetrics?: GenerationMetrics;
  /** A backend's one-call AdamW (e.g. native-kernels' adamwUpdate); default: AdamW from tensor ops. */
  readonly fusedAdamWKernel?: FusedAdamWKernel;
  /** Defaults to NoopGradientSync (one process). */
  readonly gradientSync?: GradientSync;
  readonly callbacks?: readonly TrainerCallbacks[];
  /** Writes extra files (tokenizer, label map) into every checkpoint and the final model directory. */
  readonly saveExtras?: (dir: string) => Promise<void>;
  /** Human-readable progress lines ("***** Running training *****"); silent when absent. */
  readonly log?: (message: string) => void;
}
