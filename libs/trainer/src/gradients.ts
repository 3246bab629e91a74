import * as tf from '@tensorflow/tfjs-core';
import { copyTensorInto, registerGradients } from '@tunefleet/compute';
import { IGNORE_INDEX } from '@tunefleet/core';
import type { ModelBatch, TrainableModel } from '@tunefleet/model';
import { TrainerError } from './trainer-error.ts';
import type { GradientSync } from './gradient-sync.ts';

/**
 * Elements after the flattened gradients in the buffer `averageAcrossRanks` all-reduces:
 * [gradients (model.parameters order)..., sum of losses, loss-term count]. A GradientSync that
 * compresses on the wire (bf16) should send these exactly: the count must stay an integer.
 */
export const SYNC_TRAILER_LENGTH = 2;

/** What one rank accumulated for one optimizer step: gradients of the SUM of per-term losses. */
export interface AccumulatedStep {
  readonly grads: Map<string, tf.Tensor>;
  /** Sum of per-term losses (mean batch loss x loss terms, over the micro-batches). */
  readonly lossSum: number;
  /** Loss terms: examples for sequence classification, labelled tokens for token classification / MLM. */
  readonly count: number;
}

/** Loss terms of a batch: its label positions other than -100 (an empty batch has none). */
export function lossTermCount(batch: ModelBatch): number {
  if (batch.batchSize === 0) return 0;
  if (batch.labels === undefined) {
    throw new TrainerError('LABELS_INVALID', `training batch of ${batch.batchSize} examples has no labels; the train dataset must be labelled.`);
  }
  let count = 0;
  for (const label of batch.labels) if (label !== IGNORE_INDEX) count++;
  return count;
}

/**
 * Sum-of-losses gradients of the micro-batches of one optimizer step, keyed by Hugging Face
 * parameter name, with the loss sum and the number of loss terms. Dividing by the (global) count
 * afterwards makes the step exact however the examples were split: uneven micro-batches, a final
 * partial batch, or ranks with empty slices.
 */
export class GradientAccumulator {
  readonly grads = new Map<string, tf.Tensor>();
  lossSum = 0;
  count = 0;
  private readonly variables: tf.Variable[];
  private readonly hfNameOf = new Map<string, string>();

  constructor(private readonly model: TrainableModel) {
    // tfjs-core's Node build has no gradient functions; registering is idempotent and keeps existing ones.
    registerGradients();
    this.variables = [...model.parameters.values()];
    for (const [name, variable] of model.parameters) this.hfNameOf.set(variable.name, name);
  }

  /** Forward + backward on one micro-batch; a batch without loss terms (an empty rank slice) adds nothing. */
  addMicroBatch(batch: ModelBatch, dropoutSeed: number): void {
    const terms = lossTermCount(batch);
    if (terms === 0) return;
    const { value, grads } = tf.variableGrads(() => {
      const logits = this.model.forward(batch, { training: true, dropoutSeed });
      return tf.mul(this.model.loss(logits, batch), terms) as tf.Scalar; // mean loss -> sum of losses
    }, this.variables);
    this.lossSum += value.dataSync()[0]!;
    this.count += terms;
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

  /** Hands the step over (the caller disposes the gradients) and starts a new optimizer step. */
  take(): AccumulatedStep {
    const out = { grads: new Map(this.grads), lossSum: this.lossSum, count: this.count };
    this.grads.clear();
    this.lossSum = 0;
    this.count = 0;
    return out;
  }

  dispose(): void {
    for (const grad of this.grads.values()) grad.dispose();
    this.grads.clear();
  }
}

/**
 * Turns each rank's sum-of-losses gradients into the mean over every loss term of the step on every
 * rank: one allReduce of [gradients in `model.parameters` order..., loss sum, count] (all ranks agree
 * on the layout; a rank that saw no examples sends zeros and count 0 but still joins), then a
 * division by the global count. With worldSize 1 nothing is flattened or sent. The input gradients
 * are disposed. A step with no loss terms anywhere returns no gradients (the optimizer skips them)
 * and loss NaN.
 */
export async function averageAcrossRanks(
  parameters: ReadonlyMap<string, tf.Variable>,
  step: AccumulatedStep,
  sync: GradientSync,
): Promise<{ grads: Map<string, tf.Tensor>; loss: number }> {
  if (sync.worldSize === 1) return divideLocally(step);
  let total = 0;
  for (const variable of parameters.values()) total += variable.size;
  const buffer = syncBufferFor(sync, total + SYNC_TRAILER_LENGTH);
  let offset = 0;
  for (const [name, variable] of parameters) {
    const grad = step.grads.get(name);
    if (grad === undefined) buffer.fill(0, offset, offset + variable.size); // an unused parameter contributes zeros
    else copyTensorInto(grad, buffer, offset);
    offset += variable.size;
  }
  for (const grad of step.grads.values()) grad.dispose();
  buffer[total] = step.lossSum;
  buffer[total + 1] = step.count;
  await sync.allReduce(buffer);
  const globalCount = buffer[total + 1]!;
  const grads = new Map<string, tf.Tensor>();
  if (!(globalCount > 0)) return { grads, loss: Number.NaN };
  const scale = 1 / globalCount;
  offset = 0;
  for (const [name, variable] of parameters) {
    // A new tensor (the view is released inside tidy), so the buffer is free again for the next step.
    const view = buffer.subarray(offset, offset + variable.size);
    grads.set(name, tf.tidy(() => tf.mul(tf.tensor(view, variable.shape, 'float32'), scale)));
    offset += variable.size;
  }
  return { grads, loss: buffer[total]! * scale };
}

/** One flat buffer per GradientSync, reused every step (a fresh 44 MB array a step kept the GC and the page-fault handler busy). */
const syncBuffers = new WeakMap<GradientSync, Float32Array>();

function syncBufferFor(sync: GradientSync, length: number): Float32Array {
  const kept = syncBuffers.get(sync);
  if (kept !== undefined && kept.length === length) return kept;
  const buffer = sync.allocateBuffer?.(length) ?? new Float32Array(length);
  syncBuffers.set(sync, buffer);
  return buffer;
}

function divideLocally(step: AccumulatedStep): { grads: Map<string, tf.Tensor>; loss: number } {
  const grads = new Map<string, tf.Tensor>();
  if (step.count === 0) {
    for (const grad of step.grads.values()) grad.dispose();
    return { grads, loss: Number.NaN };
  }
  const scale = 1 / step.count;
  for (const [name, grad] of step.grads) {
    grads.set(name, tf.tidy(() => tf.mul(grad, scale)));
    grad.dispose();
  }
  return { grads, loss: step.lossSum * scale };
}
