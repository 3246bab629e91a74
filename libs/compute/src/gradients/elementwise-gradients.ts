import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradients of element-wise kernels, ported from tfjs-core's `src/gradients/*_grad.ts`. tfjs-core's
 * CommonJS build (what Node loads) ships no gradient functions: the union package `@tensorflow/tfjs`
 * bundles them, and the ESM files cannot be imported by Node (directory imports).
 */
type Grads = Record<string, () => tf.Tensor>;

/** Sums `grad` over the axes `shape` was broadcast along, then restores `shape`. */
function unbroadcast(grad: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(grad, axes) : grad, shape);
}

function binary(kernelName: string, der: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => [tf.Tensor, tf.Tensor]): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved): Grads => {
      const [a, b] = saved;
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const grads = () => der(dy as tf.Tensor, a, b);
      return { a: () => unbroadcast(grads()[0], a.shape, outShape), b: () => unbroadcast(grads()[1], b.shape, outShape) };
    },
  };
}

function unary(kernelName: string, der: (dy: tf.Tensor, x: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return { kernelName, inputsToSave: ['x'], gradFunc: (dy, [x]): Grads => ({ x: () => der(dy as tf.Tensor, x) }) };
}

function unaryOfOutput(kernelName: string, der: (dy: tf.Tensor, y: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return { kernelName, outputsToSave: [true], gradFunc: (dy, [y]): Grads => ({ x: () => der(dy as tf.Tensor, y) }) };
}

const f32 = (x: tf.Tensor) => (x.dtype === 'float32' ? x : tf.cast(x, 'float32'));

export const elementwiseGradients: tf.GradConfig[] = [
  binary('Add', (dy) => [dy, dy]),
  binary('Sub', (dy) => [dy, tf.neg(dy)]),
  binary('Multiply', (dy, a, b) => [tf.mul(dy, f32(b)), tf.mul(dy, f32(a))]),
  binary('RealDiv', (dy, a, b) => [tf.div(dy, f32(b)), tf.neg(tf.div(tf.mul(dy, f32(a)), f32(tf.square(b))))]),
  binary('Maximum', (dy, a, b) => [tf.mul(dy, f32(tf.greaterEqual(a, b))), tf.mul(dy, f32(tf.less(a, b)))]),
  binary('Minimum', (dy, a, b) => [tf.mul(dy, f32(tf.lessEqual(a, b))), tf.mul(dy, f32(tf.greater(a, b)))]),
  {
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, saved): Grads => Object.fromEntries(saved.map((_, i) => [String(i), () => (dy as tf.Tensor).clone()])),
  },
  { kernelName: 'Neg', gradFunc: (dy): Grads => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  { kernelName: 'Identity', gradFunc: (dy): Grads => ({ x: () => f32(dy as tf.Tensor) }) },
  { kernelName: 'Cast', inputsToSave: ['x'], gradFunc: (dy): Grads => ({ x: () => (dy as tf.Tensor).clone() }) },
  unary('Square', (dy, x) => tf.mul(dy, tf.mul(f32(x), 2))),
  unary('Rsqrt', (dy, x) => tf.neg(tf.div(dy, tf.mul(tf.pow(x, 1.5), 2)))),
  unary('Sqrt', (dy, x) => tf.div(dy, tf.mul(tf.sqrt(f32(x)), 2))),
  unary('Erf', (dy, x) => tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI)))),
  unary('Log', (dy, x) => tf.div(dy, f32(x))),
  unary('Relu', (dy, x) => tf.mul(dy, f32(tf.step(x)))),
  unaryOfOutput('Exp', (dy, y) => tf.mul(dy, y)),
  unaryOfOutput('Tanh', (dy, y) => tf.mul(tf.sub(tf.scalar(1), tf.square(y)), dy)),
  unaryOfOutput('Sigmoid', (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(tf.scalar(1), y)))),
];
