import type * as tf from '@tensorflow/tfjs-core';
import type { DropoutContext } from '../bert/ops.ts';

/**
 * Something that adds a term to the outputs of a model's linear modules (LoRA's `src/lora/`). A
 * decoder family hands every linear module's input and output to `adapt` by the module's Hugging
 * Face path (`transformer.h.0.attn.c_attn`, `model.layers.0.self_attn.q_proj`), so an adapter
 * needs no change to the family's code.
 */
export interface LinearAdapter {
  /** `output` plus the adapter's term for input `x` `[rows, in]`, or `output` itself when `module` has no adapter. */
  adapt(module: string, x: tf.Tensor2D, output: tf.Tensor2D, drop: DropoutContext | undefined): tf.Tensor2D;
  /** The adapter's trainable variables inside modules whose path starts with `prefix` (one decoder layer's). */
  variablesUnder(prefix: string): tf.Variable[];
}
