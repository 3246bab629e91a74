import * as tf from '@tensorflow/tfjs-core';
import { registerGradients } from '@tunefleet/compute';
import type { ModelBatch, TrainableModel } from '@tunefleet/model';
import type { GradientSync } from './gradient-sync.ts';

/**
 * Sum of scaled micro-batch gradients for one optimizer step, keyed by Hugging Face parameter name,
 * plus the matching scaled loss (the step's mean micro-batch loss once all micro-steps are in).
 */
export class GradientAccumulator {
  readonly grads = new Map<string, tf.Tensor>();
  loss = 0;
  private readonly variables: tf.Variable[];
  private readonly hfNameOf = new Map<string, string>();

  constructor(private readonly model: TrainableModel) {
    // tfjs-core's Node build has no gradient functions; registering is idempotent and keeps existing ones.
    registerGradients();
    this.variables = [...model.parameters.values()];
    for (const [name, variable] of model.parameters) this.hfNameOf.set(variable.name, name);
  }

  /** Forward + backward on one micro-batch with its loss multiplied by `scale` (1 / micro-steps). */
  addMicroBatch(batch: ModelBatch, scale: number, dropoutSeed: number): void {
    const { value, grads } = tf.variableGrads(() => {
      const logits = this.model.forward(batch, { training: true, dropoutSeed });
      return tf.mul(this.model.loss(logits, batch), scale) as tf.Scalar;
    }, this.variables);
    this.loss += value.dataSync()[0]!;
    value.dispose();
    for (const [tfName, grad] of Object.entries(grads)) {
      const name = this.hfNameOf.get(tfName) ?? tfName;
      const previous = this.grads.get(name);
      if (previous === undefined) {
        this.grads.set(name, grad);
      } else {
        this.grads.set(name, tf.tidy(() => tf.add(previous, grad)));
        previous.dispose();
        grad.dispose();
      }
    }
  }

  /** Hands the gradients over (the caller disposes them) and starts a new optimizer step. */
  take(): { grads: Map<string, tf.Tensor>; loss: number } {
    const out = { grads: new Map(this.grads), loss: this.loss };
    this.grads.clear();
    this.loss = 0;
    return out;
  }

  dispose(): void {
    for (const grad of this.grads.values()) grad.dispose();
    this.grads.clear();
  }
}

/**
 * Averages gradients (and the step loss) across ranks with one allReduce: every gradient is
 * flattened in `model.parameters` order, so all ranks agree on the layout, and the loss rides in
 * the last slot. With worldSize 1 nothing is flattened. Replaced tensors are disposed.
 */
export async function averageAcrossRanks(
  parameters: ReadonlyMap<string, tf.Variable>,
  step: { grads: Map<string, tf.Tensor>; loss: number },
  sync: GradientSync,
): Promise<{ grads: Map<string, tf.Tensor>; loss: number }> {
  if (sync.worldSize === 1) return step;
  let total = 0;
  for (const variable of parameters.values()) total += variable.size;
  const buffer = new Float32Array(total + 1);
  let offset = 0;
  for (const [name, variable] of parameters) {
    const grad = step.grads.get(name);
    if (grad !== undefined) buffer.set(grad.dataSync(), offset); // an unused parameter contributes zeros
    offset += variable.size;
  }
  buffer[total] = step.loss;
  await sync.allReduce(buffer);
  const scale = 1 / sync.worldSize;
  for (let i = 0; i < buffer.length; i++) buffer[i]! *= scale;
  for (const grad of step.grads.values()) grad.dispose();
  const grads = new Map<string, tf.Tensor>();
  offset = 0;
  for (const [name, variable] of parameters) {
    grads.set(name, tf.tensor(buffer.subarray(offset, offset + variable.size), variable.shape, 'float32'));
    offset += variable.size;
  }
  return { grads, loss: buffer[total]! };
}
