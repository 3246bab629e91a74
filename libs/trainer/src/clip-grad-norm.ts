import * as tf from '@tensorflow/tfjs-core';

/**
 * torch.nn.utils.clip_grad_norm_ over all gradients together (L2): total = ||concat(grads)||,
 * coef = maxNorm / (total + 1e-6), applied when < 1. Returns the pre-clip norm and the new gradients;
 * the inputs are disposed when replaced. `maxNorm <= 0` only measures.
 */
export function clipGradNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
): { totalNorm: number; grads: Map<string, tf.Tensor> } {
  const totalNorm = globalNorm([...grads.values()]);
  if (maxNorm <= 0) return { totalNorm, grads };
  const coef = maxNorm / (totalNorm + 1e-6);
  if (coef >= 1) return { totalNorm, grads };
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, grad] of grads) {
    clipped.set(name, tf.tidy(() => tf.mul(grad, coef)));
    grad.dispose();
  }
  return { totalNorm, grads: clipped };
}

/** L2 norm of all tensors taken as one vector. */
export function globalNorm(tensors: readonly tf.Tensor[]): number {
  if (tensors.length === 0) return 0;
  const sumOfSquares = tf.tidy(() => tf.addN(tensors.map((t) => tf.sum(tf.square(t)))));
  const value = Math.sqrt(sumOfSquares.dataSync()[0]);
  sumOfSquares.dispose();
  return value;
}
