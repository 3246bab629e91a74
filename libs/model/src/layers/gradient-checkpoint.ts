import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs' engine state a nested gradient computation overwrites (see `recompute`). */
interface EngineTapeState {
  state: { activeTape: unknown };
}

/**
 * `body(x)` whose activations are not kept for backward but recomputed there, as
 * torch.utils.checkpoint does for transformers' gradient_checkpointing: the forward runs inside a
 * custom-gradient op (tfjs keeps only `x`, not the intermediates), and its gradient re-runs `body`
 * under a fresh tape and differentiates it. `captured` are the tensors besides `x` that `body`
 * reads (an attention mask, rotary tables): `body` must take them from its argument, since the
 * forward pass's copies are gone by backward. `weights` are the trainable variables `body` reads
 * (their gradients flow out through this op); a variable `body` reads that is not listed gets no
 * gradient, so list every trainable one. `body` must be deterministic (seeded dropout is).
 */
export function checkpointed(
  body: (x: tf.Tensor2D, captured: readonly tf.Tensor[]) => tf.Tensor2D,
  x: tf.Tensor2D,
  captured: readonly tf.Tensor[],
  weights: readonly tf.Variable[],
): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor2D;
    // The input and the constants the layer reads (mask, rotary tables) outlive the forward pass's scope this way.
    save([input, ...captured]);
    return {
      value: body(input, captured),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [first, ...constants] = saved;
        return recompute((value) => body(value, constants), first as tf.Tensor2D, weights, dy as tf.Tensor2D);
      },
    };
  });
  // Constants are not inputs of the op (they get no gradient); their gradient slots would be wasted.
  return op(x, ...weights) as tf.Tensor2D;
}

/**
 * Gradients of `body` at `input` for `dy`: `[d input, d weights...]`. Runs inside the outer
 * backward pass, whose tape tfjs holds in engine state that a nested `gradients` call replaces and
 * clears; it is put back afterwards so the outer pass can release its saved tensors.
 */
function recompute(body: (x: tf.Tensor2D) => tf.Tensor2D, input: tf.Tensor2D, weights: readonly tf.Variable[], dy: tf.Tensor2D): tf.Tensor[] {
  const engine = tf.engine() as ReturnType<typeof tf.engine> & EngineTapeState;
  const outerTape = engine.state.activeTape;
  try {
    const xs: tf.Tensor[] = [input, ...weights];
    const { value, grads } = engine.gradients(() => body(input), xs, dy, true);
    value.dispose();
    return xs.map((x, i) => grads[i] ?? tf.zerosLike(x));
  } finally {
    engine.state.activeTape = outerTape;
  }
}

/** A model that recomputes its layers in backward when asked (transformers' gradient_checkpointing_enable). */
export interface GradientCheckpointable {
  gradientCheckpointing: boolean;
}

/** Whether `model` (or the base model under its adapters) can checkpoint its layers: the decoder families can. */
export function supportsGradientCheckpointing(model: object): model is GradientCheckpointable {
  return typeof (model as Partial<GradientCheckpointable>).gradientCheckpointing === 'boolean';
}
