import * as tf from '@tensorflow/tfjs-core';

/** Gradients of shape, reduction, matMul, softmax and gather kernels (ported from tfjs-core). */
type Grads = Record<string, () => tf.Tensor>;

/** `dy` reshaped to `x`'s rank with the reduced `axes` kept as size 1. */
function expandReduced(dy: tf.Tensor, xShape: number[], axes: number[]): tf.Tensor {
  const shape = xShape.slice();
  axes.forEach((axis) => (shape[axis] = 1));
  return tf.reshape(dy, shape);
}

/** Swaps the last two dims; matMul with an explicit transpose is faster than a transposed matMul on wasm. */
function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
  return tf.transpose(x, perm);
}

function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D);
}

function gatherGrad(dy: tf.Tensor, x: tf.Tensor, indices: tf.Tensor, axisAttr: number, batchDims: number): tf.Tensor {
  if (batchDims !== 0) throw new Error(`GatherV2 gradient: batchDims ${batchDims} is not supported (only 0)`);
  const axis = tf.util.parseAxisParam(axisAttr, x.shape)[0];
  const outer = x.shape.slice(0, axis);
  const inner = x.shape.slice(axis + 1);
  const values = tf.reshape(dy, [...outer, indices.size, ...inner]);
  const flatIndices = tf.reshape(indices, [indices.size]) as tf.Tensor1D;
  if (axis === 0) return tf.unsortedSegmentSum(values, flatIndices, x.shape[0]);
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const perm = [outer.length, ...range(0, outer.length), ...range(outer.length + 1, outer.length + 1 + inner.length)];
  const summed = tf.unsortedSegmentSum(tf.transpose(values, perm), flatIndices, x.shape[axis]);
  return tf.transpose(summed, tf.backend_util.getUndoAxesPermutation(perm));
}

export const structuralGradients: tf.GradConfig[] = [
  { kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, [x]): Grads => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }) },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _saved, attrs): Grads => {
      const undo = tf.backend_util.getUndoAxesPermutation((attrs as { perm: number[] }).perm);
      return { x: () => tf.transpose(dy as tf.Tensor, undo) };
    },
  },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs): Grads => {
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      return { x: () => tf.mul(expandReduced(dy as tf.Tensor, x.shape, axes), tf.ones(x.shape, 'float32')) };
    },
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs): Grads => {
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const reduceSize = axes.reduce((size, axis) => size * x.shape[axis], 1);
      // scale the small reduced tensor, then one full-size broadcast multiply
      return { x: () => tf.mul(tf.mul(expandReduced(dy as tf.Tensor, x.shape, axes), 1 / reduceSize), tf.ones(x.shape, 'float32')) };
    },
  },
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs): Grads => {
      const { dim } = attrs as { dim: number };
      const dyTimesY = tf.mul(dy as tf.Tensor, y);
      return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
    },
  },
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dyIn, [a, b], attrs): Grads => {
      const dy = dyIn as tf.Tensor;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      // C = op(A) op(B); every case is written as plain matMuls of explicitly transposed operands.
      if (!transposeA && !transposeB) return { a: () => matMul(dy, swapLast(b)), b: () => matMul(swapLast(a), dy) };
      if (!transposeA && transposeB) return { a: () => matMul(dy, b), b: () => matMul(swapLast(dy), a) };
      if (transposeA && !transposeB) return { a: () => matMul(b, swapLast(dy)), b: () => matMul(a, dy) };
      return { a: () => swapLast(matMul(dy, b)), b: () => swapLast(matMul(a, dy)) };
    },
  },
  {
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, [x, indices], attrs): Grads => {
      const { axis, batchDims } = attrs as { axis: number; batchDims: number };
      return { x: () => gatherGrad(dy as tf.Tensor, x, indices, axis, batchDims), indices: () => indices };
    },
  },
];
