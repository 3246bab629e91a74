import type * as tf from '@tensorflow/tfjs-core';
import type { AdamWOptions, NamedArray } from './adamw.ts';
import { TrainerError } from './trainer-error.ts';

/**
 * A backend's one-call AdamW update over every parameter (e.g. `adamwUpdate` of
 * @tunefleet/native-kernels). Same formula as torch.optim.AdamW; moments live on the host.
 */
export type FusedAdamWKernel = (
  params: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
  moments: { readonly m: Float32Array[]; readonly v: Float32Array[] },
  hyper: {
    readonly learningRate: number;
    readonly beta1: number;
    readonly beta2: number;
    readonly epsilon: number;
    readonly weightDecay: readonly number[];
    readonly step: number;
  },
) => void;

/** The optimizer surface the Trainer and checkpoints use; AdamW and FusedAdamW both provide it. */
export interface Optimizer {
  stepCount: number;
  step(grads: ReadonlyMap<string, tf.Tensor>, learningRate: number): void;
  stateTensors(): Map<string, NamedArray>;
  loadState(tensors: ReadonlyMap<string, NamedArray>, stepCount: number, source: string): void;
  dispose(): void;
}

/**
 * AdamW through a fused kernel: one call per optimizer step instead of ~10 tensor ops per
 * parameter. Checkpoints hold the same `exp_avg.<name>` / `exp_avg_sq.<name>` tensors as AdamW's.
 */
export class FusedAdamW implements Optimizer {
  stepCount = 0;
  private readonly names: string[];
  private readonly variables: tf.Variable[];
  private readonly decays: number[];
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

  constructor(
    parameters: ReadonlyMap<string, tf.Variable>,
    private readonly options: AdamWOptions,
    isDecayed: (name: string) => boolean,
    private readonly kernel: FusedAdamWKernel,
  ) {
    this.names = [...parameters.keys()];
    this.variables = [...parameters.values()];
    this.decays = this.names.map((name) => (isDecayed(name) ? options.weightDecay : 0));
    this.m = this.variables.map((p) => new Float32Array(p.size));
    this.v = this.variables.map((p) => new Float32Array(p.size));
  }

  step(grads: ReadonlyMap<string, tf.Tensor>, learningRate: number): void {
    const missing = this.names.filter((name) => !grads.has(name));
    if (missing.length > 0) {
      // The fused kernel updates every parameter; a frozen parameter needs the per-tensor AdamW.
      throw new TrainerError('OPTIMIZER_INVALID', `fused AdamW needs a gradient for every parameter; missing: ${missing.slice(0, 5).join(', ')}`);
    }
    this.stepCount += 1;
    const { beta1, beta2, epsilon } = this.options;
    this.kernel(this.variables, this.names.map((name) => grads.get(name)!), { m: this.m, v: this.v }, {
      learningRate, beta1, beta2, epsilon, weightDecay: this.decays, step: this.stepCount,
    });
  }

  stateTensors(): Map<string, NamedArray> {
    const out = new Map<string, NamedArray>();
    this.names.forEach((name, i) => {
      const shape = [...this.variables[i].shape];
      out.set(`exp_avg.${name}`, { shape, data: Float32Array.from(this.m[i]) });
      out.set(`exp_avg_sq.${name}`, { shape, data: Float32Array.from(this.v[i]) });
    });
    return out;
  }

  loadState(tensors: ReadonlyMap<string, NamedArray>, stepCount: number, source: string): void {
    this.names.forEach((name, i) => {
      for (const [key, target] of [[`exp_avg.${name}`, this.m[i]], [`exp_avg_sq.${name}`, this.v[i]]] as const) {
        const found = tensors.get(key);
        if (found === undefined || found.data.length !== target.length) {
          throw new TrainerError(
            'CHECKPOINT_INVALID',
            `${source}: optimizer tensor "${key}" is ${found === undefined ? 'missing' : `${found.data.length} values, expected ${target.length}`}; the checkpoint does not match this model.`,
          );
        }
        target.set(found.data);
      }
    });
    this.stepCount = stepCount;
  }

  dispose(): void {}
}
