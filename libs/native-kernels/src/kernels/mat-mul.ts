import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { allocOutput, nativeKernel, float32Values, sizeOf } from './kernel-io.ts';

/** The addon's code for a fused activation; undefined (prelu, anything new) takes the composed path. */
function activationCode(addon: NativeAddon, activation: string): number | undefined {
  const codes = addon.opCodes.activation;
  return Object.hasOwn(codes, activation) ? codes[activation] : undefined;
}

interface MatMulPlan {
  outShape: number[]; // [...broadcast batch dims, m, n]
  batch: number;
  m: number;
  n: number;
  k: number;
  aIndex: Int32Array | null; // which matrix of a feeds output matrix i (null: i)
  bIndex: Int32Array | null;
}

/** Shapes of `a @ b` with tfjs's transposes and numpy broadcasting over the batch dims. */
export function planMatMul(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): MatMulPlan {
  const aRank = aShape.length;
  const bRank = bShape.length;
  const m = transposeA ? aShape[aRank - 1] : aShape[aRank - 2];
  const kA = transposeA ? aShape[aRank - 2] : aShape[aRank - 1];
  const kB = transposeB ? bShape[bRank - 1] : bShape[bRank - 2];
  const n = transposeB ? bShape[bRank - 2] : bShape[bRank - 1];
  if (kA !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${kA}) and (${kB}) of Tensors with shapes ${aShape} and ${bShape} and ` +
        `transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const aOuter = aShape.slice(0, -2);
  const bOuter = bShape.slice(0, -2);
  const outOuter = tf.broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
  const batch = sizeOf(outOuter);
  return {
    outShape: [...outOuter, m, n],
    batch,
    m,
    n,
    k: kA,
    aIndex: sizeOf(aOuter) === batch ? null : broadcastIndex(aOuter, outOuter),
    bIndex: sizeOf(bOuter) === batch ? null : broadcastIndex(bOuter, outOuter),
  };
}

/** For each position of `outDims`, the flat position in `dims` it reads under broadcasting. */
function broadcastIndex(dims: number[], outDims: number[]): Int32Array {
  const offset = outDims.length - dims.length;
  const index = new Int32Array(sizeOf(outDims));
  for (let i = 0; i < index.length; i++) {
    let rest = i;
    let flat = 0;
    let stride = 1;
    for (let d = outDims.length - 1; d >= 0; d--) {
      const coord = rest % outDims[d];
      rest = Math.floor(rest / outDims[d]);
      const own = d - offset;
      if (own >= 0) {
        if (dims[own] !== 1) flat += coord * stride;
        stride *= dims[own];
      }
    }
    index[i] = flat;
  }
  return index;
}

interface MatMulInputs {
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  bias?: tf.TensorInfo;
  preluActivationWeights?: tf.TensorInfo;
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

function runMatMul(
  addon: NativeAddon,
  backend: MathBackendCPU,
  a: Float32Array,
  b: Float32Array,
  plan: MatMulPlan,
  attrs: MatMulAttrs,
  bias: Float32Array | null,
  activation: number,
): tf.TensorInfo {
  const out = allocOutput(backend, plan.batch * plan.m * plan.n);
  addon.matMul(a, b, out, plan.batch, plan.m, plan.n, plan.k, attrs.transposeA, attrs.transposeB, plan.aIndex,
    plan.bIndex, bias, activation, attrs.leakyreluAlpha ?? 0.2);
  return backend.makeTensorInfo(plan.outShape, 'float32', out);
}

export function batchMatMulKernel(addon: NativeAddon): tf.KernelConfig {
  return nativeKernel('BatchMatMul', (args, backend) => {
    const { a, b } = args.inputs as unknown as MatMulInputs;
    const attrs = args.attrs as unknown as MatMulAttrs;
    const aValues = float32Values(backend, a);
    const bValues = float32Values(backend, b);
    if (aValues === undefined || bValues === undefined) return undefined;
    const plan = planMatMul(a.shape, b.shape, attrs.transposeA, attrs.transposeB);
    return runMatMul(addon, backend, aValues, bValues, plan, attrs, null, addon.opCodes.activation.linear);
  });
}

/**
 * `activation(a @ b + bias)`. A bias of `n` values and the common activations run inside the
 * native call; other bias shapes and prelu are applied afterwards by the registered kernels.
 */
export function fusedMatMulKernel(addon: NativeAddon): tf.KernelConfig {
  return nativeKernel('_FusedMatMul', (args, backend) => {
    const inputs = args.inputs as unknown as MatMulInputs;
    const attrs = args.attrs as unknown as MatMulAttrs;
    const aValues = float32Values(backend, inputs.a);
    const bValues = float32Values(backend, inputs.b);
    if (aValues === undefined || bValues === undefined) return undefined;
    const plan = planMatMul(inputs.a.shape, inputs.b.shape, attrs.transposeA, attrs.transposeB);
    const activation = attrs.activation ?? 'linear';
    const biasValues = inputs.bias === undefined ? undefined : float32Values(backend, inputs.bias);
    const isRowBias =
      inputs.bias !== undefined &&
      biasValues !== undefined &&
      biasValues.length === plan.n &&
      inputs.bias.shape.length <= plan.outShape.length &&
      inputs.bias.shape.slice(0, -1).every((d) => d === 1);
    const code = activationCode(addon, activation);
    if ((inputs.bias === undefined || isRowBias) && code !== undefined) {
      return runMatMul(addon, backend, aValues, bValues, plan, attrs, isRowBias ? biasValues! : null, code);
    }
    // Composed path: native product, then the registered Add and activation kernels.
    let current = runMatMul(addon, backend, aValues, bValues, plan, attrs, null, addon.opCodes.activation.linear);
    if (inputs.bias !== undefined) current = applyAndDispose(backend, current, 'Add', { a: current, b: inputs.bias }, {});
    return applyActivation(backend, current, activation, inputs.preluActivationWeights, attrs.leakyreluAlpha);
  });
}

function applyAndDispose(
  backend: MathBackendCPU,
  input: tf.TensorInfo,
  kernelName: string,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown>,
): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, 'native') ?? tf.getKernel(kernelName, 'cpu');
  if (kernel === undefined) throw new Error(`native backend: kernel ${kernelName} is not registered`);
  const out = kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  backend.disposeIntermediateTensorInfo(input);
  return out;
}

function applyActivation(
  backend: MathBackendCPU,
  x: tf.TensorInfo,
  activation: string,
  preluWeights: tf.TensorInfo | undefined,
  leakyreluAlpha: number | undefined,
): tf.TensorInfo {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return applyAndDispose(backend, x, 'Relu', { x }, {});
    case 'relu6':
      return applyAndDispose(backend, x, 'Relu6', { x }, {});
    case 'elu':
      return applyAndDispose(backend, x, 'Elu', { x }, {});
    case 'sigmoid':
      return applyAndDispose(backend, x, 'Sigmoid', { x }, {});
    case 'leakyrelu':
      return applyAndDispose(backend, x, 'LeakyRelu', { x }, { alpha: leakyreluAlpha ?? 0.2 });
    case 'prelu':
      if (preluWeights === undefined) throw new Error('_FusedMatMul: prelu activation without preluActivationWeights');
      return applyAndDispose(backend, x, 'Prelu', { x, alpha: preluWeights }, {});
    default:
      throw new Error(`_FusedMatMul: activation "${activation}" is not supported (linear, relu, relu6, elu, sigmoid, leakyrelu, prelu)`);
  }
}
