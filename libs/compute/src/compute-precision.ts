// The precision of the backend's matrix products, set by the Trainer from TrainingArguments' bf16 and
// bf16_full_eval (the model asks nothing about dtypes: its products go through the backend's matMul).
import * as tf from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME, setMatMulPrecision, type MatMulMode } from '@tunefleet/native-kernels';
import { BackendError } from './backend-error.ts';

export type ComputePrecision = 'fp32' | 'bf16';

export interface ComputePrecisionState {
  /** `bf16-emulated`: inputs rounded to bf16, float32 products (no oneDNN, or no AVX512-BF16). */
  mode: MatMulMode;
  /** One line for the log at start: what runs the products. */
  detail: string;
}

/**
 * Sets the precision of every following matrix product, forward and backward. bf16 needs the
 * native backend (other backends have no bf16 products): anywhere else it is a BackendError that
 * says how to get it. float32 on any backend is a no-op there.
 */
export function setComputePrecision(precision: ComputePrecision, options: { emulate?: boolean } = {}): ComputePrecisionState {
  const backend = tf.getBackend();
  if (backend !== NATIVE_BACKEND_NAME) {
    if (precision === 'fp32') return { mode: 'fp32', detail: `float32 products (${backend} backend)` };
    throw new BackendError(
      'BACKEND_PRECISION_UNSUPPORTED',
      `bf16 needs the native backend, but the "${backend}" backend is active; run with --backend native ` +
        '(build it with `node libs/native-kernels/build.mjs`; libdnnl-dev gives it oneDNN\'s bf16 kernels) or drop --bf16 / --bf16-full-eval.',
    );
  }
  return setMatMulPrecision(precision, options);
}
