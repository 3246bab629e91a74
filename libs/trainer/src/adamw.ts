import * as tf from '@tensorflow/tfjs-core';
import { TrainerError } from './trainer-error.ts';

export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

interface Moments {
  expAvg: tf.Tensor;
  expAvgSq: tf.Tensor;
}

/**
 * torch.optim.AdamW, step for step: decoupled weight decay first (p -= lr*wd*p, only where
 * `isDecayed(name)`), then bias-corrected moments:
 *   denom = sqrt(v) / sqrt(1 - b2^t) + eps;  p -= (lr / (1 - b1^t)) * m / denom
 */
export class AdamW {
  private readonly moments = new Map<string, Moments>();
  /** Optimizer steps taken (torch's state['step']). */
  stepCount = 0;

  constructor(
    private readonly parameters: ReadonlyMap<string, tf.Variable>,
    private readonly options: AdamWOptions,
    private readonly isDecayed: (name: string) => boolean,
  ) {}

  /** One update with `grads` keyed by parameter name; a parameter without a gradient is left alone. */
  step(grads: ReadonlyMap<string, tf.Tensor>, learningRate: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    this.stepCount += 1;
    const biasCorrection1 = 1 - beta1 ** this.stepCount;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** this.stepCount);
    const stepSize = learningRate / biasCorrection1;
    for (const [name, variable] of this.parameters) {
      const grad = grads.get(name);
      if (grad === undefined) continue;
      const previous = this.moments.get(name);
      const decay = this.isDecayed(name) ? weightDecay : 0;
      const next = tf.tidy(() => {
        const expAvgPrev = previous?.expAvg ?? tf.zerosLike(variable);
        const expAvgSqPrev = previous?.expAvgSq ?? tf.zerosLike(variable);
        // torch: exp_avg.lerp_(grad, 1 - beta1) == m + (1 - b1) * (g - m)
        const expAvg = tf.add(expAvgPrev, tf.mul(tf.sub(grad, expAvgPrev), 1 - beta1));
        // torch: exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        const expAvgSq = tf.add(tf.mul(expAvgSqPrev, beta2), tf.mul(tf.mul(grad, grad), 1 - beta2));
        const decayed = decay > 0 ? tf.mul(variable, 1 - learningRate * decay) : variable;
        const denom = tf.add(tf.div(tf.sqrt(expAvgSq), biasCorrection2Sqrt), epsilon);
        variable.assign(tf.sub(decayed, tf.mul(tf.div(expAvg, denom), stepSize)));
        return { expAvg, expAvgSq };
      });
      previous?.expAvg.dispose();
      previous?.expAvgSq.dispose();
      this.moments.set(name, next);
    }
  }

  /** optimizer.safetensors content: `exp_avg.<name>` and `exp_avg_sq.<name>` per parameter. */
  stateTensors(): Map<string, NamedArray> {
    const out = new Map<string, NamedArray>();
    for (const [name, variable] of this.parameters) {
      const moments = this.moments.get(name);
      const zeros = (): Float32Array => new Float32Array(variable.size);
      out.set(`exp_avg.${name}`, { shape: [...variable.shape], data: moments ? toFloat32(moments.expAvg) : zeros() });
      out.set(`exp_avg_sq.${name}`, { shape: [...variable.shape], data: moments ? toFloat32(moments.expAvgSq) : zeros() });
    }
    return out;
  }

  /** Restores moments saved by stateTensors(); `stepCount` comes from scheduler.json. */
  loadState(tensors: ReadonlyMap<string, NamedArray>, stepCount: number, source: string): void {
    for (const [name, variable] of this.parameters) {
      const expAvg = requireTensor(tensors, `exp_avg.${name}`, variable, source);
      const expAvgSq = requireTensor(tensors, `exp_avg_sq.${name}`, variable, source);
      const previous = this.moments.get(name);
      previous?.expAvg.dispose();
      previous?.expAvgSq.dispose();
      this.moments.set(name, {
        expAvg: tf.tensor(expAvg.data, variable.shape, 'float32'),
        expAvgSq: tf.tensor(expAvgSq.data, variable.shape, 'float32'),
      });
    }
    this.stepCount = stepCount;
  }

  dispose(): void {
    for (const moments of this.moments.values()) {
      moments.expAvg.dispose();
      moments.expAvgSq.dispose();
    }
    this.moments.clear();
  }
}

function toFloat32(tensor: tf.Tensor): Float32Array {
  return Float32Array.from(tensor.dataSync());
}

function requireTensor(
  tensors: ReadonlyMap<string, NamedArray>,
  key: string,
  variable: tf.Variable,
  source: string,
): NamedArray {
  const found = tensors.get(key);
  if (found === undefined) {
    throw new TrainerError('CHECKPOINT_INVALID', `${source}: missing optimizer tensor "${key}"; the checkpoint does not match this model.`);
  }
  if (found.data.length !== variable.size) {
    throw new TrainerError(
      'CHECKPOINT_INVALID',
      `${source}: optimizer tensor "${key}" has ${found.data.length} values, expected ${variable.size} (shape [${variable.shape.join(', ')}]).`,
    );
  }
  return found;
}
