import type * as tf from '@tensorflow/tfjs-core';
import type { TensorData } from '../checkpoint/index.ts';
import type { AnyModelTask, ModelTask, TrainableModel } from '../trainable.ts';

/**
 * What loading, creating and saving need to know of one model family (BERT, DistilBERT, RoBERTa /
 * XLM-R): its Hugging Face class names, parameter table, checkpoint-name normalisation, head
 * parameters, initialisation and constructors. `pretrained.ts` dispatches on config.json's
 * `model_type` to one of these; the Trainer never sees them (it sees TrainableModel). `T` is the
 * tasks the family has heads for: the encoder tasks, `causal-lm` (GPT-2, Llama) or `translation` (Marian).
 */
export interface ModelFamily<C, M extends TrainableModel = TrainableModel, T extends AnyModelTask = ModelTask> {
  /** Hugging Face class per task (`RobertaForSequenceClassification`), for this config's model_type. */
  architectures(config: C): Readonly<Record<T, string>>;
  parameterShapes(config: C, task: T): Map<string, number[]>;
  /** Checkpoint keys → the model's names (old names, a base-model checkpoint without the prefix); `ignored` are never reported unused. */
  normalizeCheckpointNames(
    tensors: ReadonlyMap<string, TensorData>,
    expected: ReadonlyMap<string, readonly number[]>,
  ): { renamed: Map<string, TensorData>; ignored: Set<string> };
  /** Head parameters (classifier, pooler, MLM head): freshly initialised when the checkpoint lacks them. */
  isHeadParameter(name: string): boolean;
  initialParameter(config: C, name: string, shape: readonly number[], seed: number): tf.Tensor;
  /** `config` with other labels (validated again). */
  withLabels(config: C, labels: { id2label: Record<string, string>; label2id: Record<string, number> }, file: string): C;
  build(config: C, task: T, initial: ReadonlyMap<string, tf.Tensor>): M;
}
