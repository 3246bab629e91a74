import * as tf from '@tensorflow/tfjs-core';
import { BertModelError } from '../bert/bert-model-error.ts';
import { crossEntropy } from '../bert/cross-entropy.ts';
import type { DropoutContext } from '../bert/ops.ts';
import type { ModelBatch, ModelTask, TrainableModel } from '../trainable.ts';
import { isDecayedEncoderParameter } from './init.ts';
import type { ParameterLookup } from './parameter-lookup.ts';

/**
 * What every family's heads share: parameters as tf.Variables keyed by HF names in HF order, loss,
 * weight-decay grouping, dropout seeding and dispose. A family adds its encoder, heads and save.
 */
export abstract class EncoderModel<C> implements TrainableModel {
  abstract readonly task: ModelTask;
  readonly parameters: ReadonlyMap<string, tf.Variable>;

  /** `initial` holds one tensor per name of `shapes` (the family's parameter table); it is copied. */
  constructor(
    readonly config: C,
    /** The Hugging Face class, as config.json's `architectures` and messages name it. */
    readonly architecture: string,
    shapes: ReadonlyMap<string, readonly number[]>,
    initial: ReadonlyMap<string, tf.Tensor>,
  ) {
    const parameters = new Map<string, tf.Variable>();
    for (const [name, shape] of shapes) {
      const value = initial.get(name);
      if (value === undefined) throw new BertModelError('MISSING_WEIGHT', `no initial value for parameter "${name}"`, name);
      if (!sameShape(value.shape, shape)) {
        throw new BertModelError('SHAPE_MISMATCH', `parameter "${name}" expects [${shape.join(', ')}], got [${value.shape.join(', ')}]`, name);
      }
      parameters.set(name, tf.variable(value, true));
    }
    this.parameters = parameters;
  }

  abstract forward(batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor;

  abstract save(dir: string, extraConfig?: Record<string, unknown>): Promise<void>;

  loss(logits: tf.Tensor, batch: ModelBatch): tf.Scalar {
    if (batch.labels === undefined) throw new BertModelError('BATCH_VALUE', `${this.architecture}.loss: batch has no labels`);
    return crossEntropy(logits, batch.labels);
  }

  isDecayed(name: string): boolean {
    return isDecayedEncoderParameter(name);
  }

  dispose(): void {
    for (const variable of this.parameters.values()) variable.dispose();
  }

  protected readonly lookup: ParameterLookup = (name) => {
    const variable = this.parameters.get(name);
    if (variable === undefined) throw new BertModelError('UNKNOWN_PARAMETER', `${this.architecture} has no parameter "${name}"`, name);
    return variable;
  };

  protected dropoutContext(options: { training: boolean; dropoutSeed?: number }): DropoutContext | undefined {
    if (!options.training) return undefined;
    return { seed: options.dropoutSeed ?? Math.floor(Math.random() * 2147483647) };
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}
