import * as tf from '@tensorflow/tfjs-core';
import { mixSeed, mulberry32 } from '@tunefleet/core';
import { dropout, type DropoutContext } from '../bert/ops.ts';
import type { LinearAdapter } from '../layers/linear-adapter.ts';
import { loraScaling, type LoraSettings } from './lora-config.ts';
import type { LinearModule } from './target-modules.ts';

/** PEFT's state-dict key of a module's adapter matrix, as get_peft_model_state_dict saves it (no adapter name). */
export function adapterKey(path: string, matrix: 'lora_A' | 'lora_B'): string {
  return `base_model.model.${path}.${matrix}.weight`;
}

interface AdaptedModule {
  readonly module: LinearModule;
  readonly a: tf.Variable; // lora_A.weight [r, in]
  readonly b: tf.Variable; // lora_B.weight [out, r]
}

/**
 * LoRA on a set of linear modules: each adapted module's output becomes
 * `base(x) + scaling * dropout(x) A^T B^T` (PEFT's Linear.forward, `lora_B(lora_A(dropout(x))) *
 * scaling`), the same for GPT-2's Conv1D, whose `[in, out]` weight only changes how the update is
 * merged. New adapters start as PEFT's init_lora_weights=True: A kaiming-uniform (a = sqrt(5), so
 * U(-1/sqrt(in), 1/sqrt(in))), B zeros, so the model's outputs are unchanged at step 0.
 */
export class LoraAdapters implements LinearAdapter {
  readonly scaling: number;
  private readonly modules = new Map<string, AdaptedModule>();

  constructor(
    readonly settings: LoraSettings,
    targets: readonly LinearModule[],
    /** Initial values by adapterKey; absent: PEFT's initialisation from `seed`. */
    initial: ReadonlyMap<string, tf.Tensor> | undefined,
    seed: number,
  ) {
    this.scaling = loraScaling(settings);
    targets.forEach((module, index) => {
      const aKey = adapterKey(module.path, 'lora_A');
      const bKey = adapterKey(module.path, 'lora_B');
      const a = initial?.get(aKey) ?? kaimingUniform([settings.r, module.inFeatures], mixSeed(seed, index));
      const b = initial?.get(bKey) ?? tf.zeros([module.outFeatures, settings.r]);
      this.modules.set(module.path, { module, a: tf.variable(a, true), b: tf.variable(b, true) });
      if (initial === undefined) tf.dispose([a, b]);
    });
  }

  /** The adapter matrices keyed by PEFT's names, lora_A then lora_B per module in model order. */
  variables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const { module, a, b } of this.modules.values()) {
      out.set(adapterKey(module.path, 'lora_A'), a);
      out.set(adapterKey(module.path, 'lora_B'), b);
    }
    return out;
  }

  get targets(): LinearModule[] {
    return [...this.modules.values()].map((m) => m.module);
  }

  adapt(path: string, x: tf.Tensor2D, output: tf.Tensor2D, drop: DropoutContext | undefined): tf.Tensor2D {
    const adapted = this.modules.get(path);
    if (adapted === undefined) return output;
    const input = dropout(x, this.settings.loraDropout, drop, `${path}/lora-dropout`) as tf.Tensor2D;
    const update = tf.matMul(tf.matMul(input, adapted.a, false, true), adapted.b, false, true); // [rows, r] -> [rows, out]
    return tf.add(output, tf.mul(update, this.scaling)) as tf.Tensor2D;
  }

  variablesUnder(prefix: string): tf.Variable[] {
    return [...this.modules.values()].filter(({ module }) => module.path.startsWith(prefix)).flatMap(({ a, b }) => [a, b]);
  }

  /** `scaling * B A` in the base weight's layout: `[out, in]`, or `[in, out]` for a Conv1D (PEFT's get_delta_weight). */
  deltaWeight(path: string): tf.Tensor2D {
    const { module, a, b } = this.modules.get(path)!;
    return tf.tidy(() => {
      const delta = tf.mul(tf.matMul(b, a), this.scaling) as tf.Tensor2D; // [out, in]
      return module.fanInFanOut ? tf.transpose(delta) : delta;
    });
  }

  dispose(): void {
    for (const { a, b } of this.modules.values()) tf.dispose([a, b]);
    this.modules.clear();
  }
}

/** torch.nn.init.kaiming_uniform_(w, a=sqrt(5)) on `[rows, fanIn]`: U(-1/sqrt(fanIn), 1/sqrt(fanIn)), from a seeded generator. */
function kaimingUniform(shape: [number, number], seed: number): tf.Tensor2D {
  const bound = 1 / Math.sqrt(shape[1]);
  const random = mulberry32(seed);
  const values = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < values.length; i++) values[i] = (2 * random() - 1) * bound;
  return tf.tensor2d(values, shape);
}
