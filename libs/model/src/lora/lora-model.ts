import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, writeSafetensors, type TensorData } from '../checkpoint/index.ts';
import { DecoderModel } from '../layers/decoder-model.ts';
import { Gpt2LMHeadModel } from '../gpt2/gpt2-model.ts';
import type { CausalLanguageModel } from '../model-families.ts';
import type { ModelBatch, TrainableModel } from '../trainable.ts';
import { LoraAdapters } from './lora-adapters.ts';
import { ADAPTER_WEIGHTS_FILE, DEFAULT_LORA_SETTINGS, DEFAULT_LORA_TARGET_MODULES, readAdapterConfig, writeAdapterConfig, type LoraSettings } from './lora-config.ts';
import { LoraError } from './lora-error.ts';
import { decoderLinearModules, selectTargets } from './target-modules.ts';

export interface LoraOptions extends Partial<Omit<LoraSettings, 'targetModules'>> {
  /** Unset or empty: PEFT's default for the model's family (DEFAULT_LORA_TARGET_MODULES). */
  readonly targetModules?: readonly string[] | string;
  /** Seed of lora_A's initialisation (the same on every rank). */
  readonly seed?: number;
  /** Written into adapter_config.json's base_model_name_or_path. */
  readonly baseModelNameOrPath?: string;
}

/**
 * A causal LM with LoRA adapters, as PEFT's get_peft_model makes it: the base model's weights are
 * frozen and `parameters` holds only the adapter matrices (PEFT's key names), so the optimizer, the
 * gradient accumulation and the ring's all-reduce see only them. `forward`, `loss` and `decode` run
 * the base model, which computes with the adapters (its `adapter` is set); `save` writes
 * adapter_config.json and adapter_model.safetensors as PEFT's save_pretrained does.
 */
export class LoraModel implements TrainableModel {
  readonly task = 'causal-lm' as const;
  readonly parameters: ReadonlyMap<string, tf.Variable>;

  constructor(
    readonly base: CausalLanguageModel,
    readonly adapters: LoraAdapters,
    readonly baseModelNameOrPath: string | null,
    /** target_modules as given (saved as such in adapter_config.json). */
    readonly targetModules: readonly string[] | string,
  ) {
    this.parameters = adapters.variables();
    for (const variable of base.parameters.values()) variable.trainable = false;
    base.adapter = adapters;
  }

  /** The base model's gradient checkpointing (its layers are recomputed with their adapters). */
  get gradientCheckpointing(): boolean {
    return this.base.gradientCheckpointing;
  }

  set gradientCheckpointing(enabled: boolean) {
    this.base.gradientCheckpointing = enabled;
  }

  forward(batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor3D {
    return this.base.forward(batch, options);
  }

  loss(logits: tf.Tensor, batch: ModelBatch): tf.Scalar {
    return this.base.loss(logits, batch);
  }

  /** Adapter matrices take weight decay (transformers' grouping decays every weight but biases and norms). */
  isDecayed(): boolean {
    return true;
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const weights = new Map<string, TensorData>();
    for (const [name, variable] of this.parameters) weights.set(name, { shape: [...variable.shape], data: Float32Array.from(variable.dataSync() as Float32Array) });
    await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), weights);
    await writeAdapterConfig(dir, {
      settings: this.adapters.settings,
      fanInFanOut: this.base instanceof Gpt2LMHeadModel,
      baseModelNameOrPath: this.baseModelNameOrPath,
      targetModulesSaved: this.targetModules,
    });
  }

  /** Frees the adapters and the base model. */
  dispose(): void {
    this.base.adapter = undefined;
    this.adapters.dispose();
    this.base.dispose();
  }
}

function requireDecoder(model: TrainableModel): CausalLanguageModel {
  if (!(model instanceof DecoderModel)) {
    const name = (model as { architecture?: string }).architecture ?? model.task;
    throw new LoraError('LORA_UNSUPPORTED_MODEL', `LoRA adapters are implemented for the causal LM families (GPT-2, Llama, Qwen2), not ${name}`);
  }
  if (model.adapter !== undefined) throw new LoraError('LORA_UNSUPPORTED_MODEL', `${model.architecture} already carries an adapter; load the base model again to apply another`);
  return model as CausalLanguageModel;
}

function modelTypeOf(model: CausalLanguageModel): string {
  return (model.config as { model_type: string }).model_type;
}

/**
 * New LoRA adapters on `model` (PEFT's get_peft_model with a LoraConfig): rank, alpha, dropout and
 * target modules as given, PEFT's defaults otherwise. A target the model lacks fails listing the
 * modules it has.
 */
export function applyLora(model: TrainableModel, options: LoraOptions = {}): LoraModel {
  const decoder = requireDecoder(model);
  const given = options.targetModules;
  const targetModules = given === undefined || given.length === 0 ? (DEFAULT_LORA_TARGET_MODULES[modelTypeOf(decoder)] ?? []) : given;
  const settings: LoraSettings = {
    r: options.r ?? DEFAULT_LORA_SETTINGS.r,
    loraAlpha: options.loraAlpha ?? DEFAULT_LORA_SETTINGS.loraAlpha,
    loraDropout: options.loraDropout ?? DEFAULT_LORA_SETTINGS.loraDropout,
    useRslora: options.useRslora ?? DEFAULT_LORA_SETTINGS.useRslora,
    targetModules,
  };
  const modules = decoderLinearModules(decoder.parameters, decoder instanceof Gpt2LMHeadModel);
  const targets = selectTargets(modules, targetModules, decoder.architecture);
  const adapters = new LoraAdapters(settings, targets, undefined, options.seed ?? 0);
  return new LoraModel(decoder, adapters, options.baseModelNameOrPath ?? null, targetModules);
}

/**
 * Applies the adapter PEFT or tunefleet saved in `dir` (adapter_config.json,
 * adapter_model.safetensors) to `model`, as PeftModel.from_pretrained does: `model` then computes
 * with it (generation included), and the returned LoraModel trains it further or saves it. Every
 * adapter tensor must be there with the model's shape, and no other.
 */
export async function loadAdapter(model: TrainableModel, dir: string): Promise<LoraModel> {
  const decoder = requireDecoder(model);
  const config = await readAdapterConfig(dir);
  const isConv1d = decoder instanceof Gpt2LMHeadModel;
  const modules = decoderLinearModules(decoder.parameters, isConv1d);
  const targets = selectTargets(modules, config.settings.targetModules, decoder.architecture);
  const file = join(dir, ADAPTER_WEIGHTS_FILE);
  const { tensors } = await readSafetensors(file);
  const initial = new Map<string, tf.Tensor>();
  const problems: string[] = [];
  const expected = new Set<string>();
  for (const module of targets) {
    const shapes = { lora_A: [config.settings.r, module.inFeatures], lora_B: [module.outFeatures, config.settings.r] } as const;
    for (const matrix of ['lora_A', 'lora_B'] as const) {
      const key = `base_model.model.${module.path}.${matrix}.weight`;
      expected.add(key);
      const found = tensors.get(key);
      if (found === undefined) problems.push(`missing "${key}"`);
      else if (found.shape.length !== 2 || found.shape[0] !== shapes[matrix][0] || found.shape[1] !== shapes[matrix][1]) problems.push(`"${key}" is [${found.shape.join(', ')}], the model needs [${shapes[matrix].join(', ')}]`);
      else initial.set(key, tf.tensor2d(found.data, found.shape as [number, number]));
    }
  }
  const extra = [...tensors.keys()].filter((key) => !expected.has(key));
  if (extra.length > 0) problems.push(`tensors no targeted module of ${decoder.architecture} has: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}`);
  if (problems.length > 0) {
    tf.dispose([...initial.values()]);
    throw new LoraError('ADAPTER_WEIGHTS_MISMATCH', `${file}: ${problems.join('; ')}`);
  }
  const adapters = new LoraAdapters(config.settings, targets, initial, 0);
  tf.dispose([...initial.values()]);
  return new LoraModel(decoder, adapters, config.baseModelNameOrPath, config.settings.targetModules);
}

/**
 * PEFT's merge_and_unload: adds each adapter's `scaling * B A` into its module's weight (transposed
 * for GPT-2's Conv1D) and removes the adapters, so the base model alone computes what base +
 * adapter did and saves as a plain model. The returned model's weights are trainable again.
 */
export function mergeAndUnload(lora: LoraModel): CausalLanguageModel {
  const { base, adapters } = lora;
  for (const module of adapters.targets) {
    const weight = base.parameters.get(`${module.path}.weight`)!;
    const merged = tf.tidy(() => tf.add(weight, adapters.deltaWeight(module.path)));
    weight.assign(merged);
    merged.dispose();
  }
  base.adapter = undefined;
  adapters.dispose();
  for (const variable of base.parameters.values()) variable.trainable = true;
  return base;
}
