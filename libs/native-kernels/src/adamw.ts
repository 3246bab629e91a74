import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon } from './addon.ts';
import { NativeKernelError } from './native-kernel-error.ts';

/** AdamW as PyTorch's torch.optim.AdamW (decoupled weight decay, bias-corrected moments). */
export interface AdamWHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** One value for every parameter, or one per parameter (0 for biases and LayerNorm weights). */
  readonly weightDecay: number | readonly number[];
  /** 1-based step count, for the bias correction. */
  readonly step: number;
}

/** First and second moments, one Float32Array per parameter, zero at the start. */
export interface AdamWMoments {
  readonly m: Float32Array[];
  readonly v: Float32Array[];
}

export function createAdamWMoments(params: readonly tf.Tensor[]): AdamWMoments {
  return { m: params.map((p) => new Float32Array(p.size)), v: params.map((p) => new Float32Array(p.size)) };
}

/**
 * Updates every parameter in one native call. Parameters held only by their variable on the
 * native (or cpu) backend are updated in place (so is a typed array the variable was created from,
 * since tfjs does not copy it); any other is read, updated and assigned back.
 * Throws NATIVE_UNAVAILABLE when the addon is not built, NATIVE_BAD_ARGUMENT on mismatched inputs.
 */
export function adamwUpdate(
  params: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
  moments: AdamWMoments,
  hyper: AdamWHyper,
): void {
  const loaded = loadAddon();
  if (!loaded.ok) throw new NativeKernelError('NATIVE_UNAVAILABLE', `adamwUpdate: ${loaded.reason}`);
  validate(params, grads, moments, hyper);
  const backend = tf.backend();
  const inPlace = params.map((p) => writableValues(backend, p));
  const values = params.map((p, i) => inPlace[i] ?? Float32Array.from(p.dataSync() as Float32Array));
  const gradValues = grads.map((g) => readValues(backend, g));
  const decays = params.map((_, i) => (typeof hyper.weightDecay === 'number' ? hyper.weightDecay : hyper.weightDecay[i]));
  loaded.addon.adamw(values, gradValues, moments.m, moments.v, decays, hyper.learningRate, hyper.beta1, hyper.beta2,
    hyper.epsilon, hyper.step);
  params.forEach((p, i) => {
    if (inPlace[i] === undefined) p.assign(tf.tensor(values[i], p.shape, 'float32'));
  });
}

/** A tensor's values without handing them out of the backend (so they stay reusable). */
function readValues(backend: tf.KernelBackend, t: tf.Tensor): Float32Array {
  if (backend instanceof MathBackendCPU && backend.data.has(t.dataId)) {
    const values = backend.data.get(t.dataId).values;
    if (values instanceof Float32Array) return values;
  }
  const data = t.dataSync();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/** The variable's own Float32Array when nothing else shares it, so it can be written in place. */
function writableValues(backend: tf.KernelBackend, param: tf.Variable): Float32Array | undefined {
  if (!(backend instanceof MathBackendCPU) || !backend.data.has(param.dataId)) return undefined;
  if (backend.refCount(param.dataId) !== 1) return undefined;
  const values = backend.data.get(param.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

function validate(params: readonly tf.Variable[], grads: readonly tf.Tensor[], moments: AdamWMoments, hyper: AdamWHyper) {
  const bad = (message: string) => new NativeKernelError('NATIVE_BAD_ARGUMENT', `adamwUpdate: ${message}`);
  if (grads.length !== params.length || moments.m.length !== params.length || moments.v.length !== params.length) {
    throw bad(`expected ${params.length} grads and moments, got ${grads.length} grads, ${moments.m.length} m, ${moments.v.length} v`);
  }
  if (typeof hyper.weightDecay !== 'number' && hyper.weightDecay.length !== params.length) {
    throw bad(`weightDecay has ${hyper.weightDecay.length} entries for ${params.length} parameters`);
  }
  if (!Number.isInteger(hyper.step) || hyper.step < 1) throw bad(`step must be an integer >= 1, got ${hyper.step}`);
  params.forEach((p, i) => {
    if (p.dtype !== 'float32') throw bad(`parameter ${i} (${p.name}) is ${p.dtype}, expected float32`);
    if (grads[i].size !== p.size) {
      throw bad(`gradient ${i} has shape [${grads[i].shape}] but parameter ${p.name} has [${p.shape}]`);
    }
    if (moments.m[i].length !== p.size || moments.v[i].length !== p.size) {
      throw bad(`moments ${i} have ${moments.m[i].length}/${moments.v[i].length} values for ${p.size} in ${p.name}`);
    }
  });
}
