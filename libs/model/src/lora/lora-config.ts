import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LoraError } from './lora-error.ts';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/**
 * PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING for the families tunefleet has: the
 * modules LoRA adapts when `target_modules` is not given (GPT-2's fused q/k/v Conv1D; Llama's and
 * Qwen2's query and value projections; BERT's query and value).
 */
export const DEFAULT_LORA_TARGET_MODULES: Readonly<Record<string, readonly string[]>> = {
  gpt2: ['c_attn'],
  llama: ['q_proj', 'v_proj'],
  qwen2: ['q_proj', 'v_proj'],
  bert: ['query', 'value'],
  roberta: ['query', 'value'],
  'xlm-roberta': ['query', 'value'],
};

/** What a LoRA adapter is, in PEFT's LoraConfig terms (the subset tunefleet computes). */
export interface LoraSettings {
  /** Rank of the update `B A` (PEFT `r`). */
  readonly r: number;
  /** `lora_alpha`: the update is scaled by lora_alpha / r (lora_alpha / sqrt(r) with use_rslora). */
  readonly loraAlpha: number;
  /** Dropout on the adapter's input (training only). */
  readonly loraDropout: number;
  /** Module names (a module matches when its path is the name or ends with `.name`), or one regex the whole path must match, or "all-linear". */
  readonly targetModules: readonly string[] | string;
  readonly useRslora: boolean;
}

// PEFT LoraConfig's defaults: r 8, lora_alpha 8, lora_dropout 0.
export const DEFAULT_LORA_SETTINGS = { r: 8, loraAlpha: 8, loraDropout: 0, useRslora: false } as const;

/** adapter_config.json as PEFT writes it; fields tunefleet does not compute must hold their off values. */
const AdapterConfigSchema = z.looseObject({
  peft_type: z.literal('LORA'),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  lora_dropout: z.number().min(0).lt(1).default(0),
  target_modules: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
  fan_in_fan_out: z.boolean().default(false),
  use_rslora: z.boolean().default(false),
  use_dora: z.literal(false).nullish(),
  bias: z.literal('none').default('none'),
  modules_to_save: z.null().or(z.array(z.string()).max(0)).nullish(),
  layers_to_transform: z.null().nullish(),
  exclude_modules: z.null().nullish(),
  lora_bias: z.literal(false).nullish(),
  rank_pattern: z.record(z.string(), z.unknown()).refine((v) => Object.keys(v).length === 0, 'per-module ranks are not supported').nullish(),
  alpha_pattern: z.record(z.string(), z.unknown()).refine((v) => Object.keys(v).length === 0, 'per-module alphas are not supported').nullish(),
  base_model_name_or_path: z.string().nullish(),
  task_type: z.string().nullish(),
});

export interface AdapterConfig {
  readonly settings: LoraSettings;
  readonly fanInFanOut: boolean;
  readonly baseModelNameOrPath: string | null;
}

/** Reads `dir/adapter_config.json`; every bad field is listed at once, with the file. */
export async function readAdapterConfig(dir: string): Promise<AdapterConfig> {
  const file = join(dir, ADAPTER_CONFIG_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new LoraError('ADAPTER_CONFIG_INVALID', `${file}: cannot read a PEFT adapter config (${(error as Error).message}); pass a directory that PEFT's save_pretrained or tunefleet wrote`, { cause: error });
  }
  const parsed = AdapterConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new LoraError('ADAPTER_CONFIG_INVALID', `${file}: ${issues}`);
  }
  const c = parsed.data;
  return {
    settings: { r: c.r, loraAlpha: c.lora_alpha, loraDropout: c.lora_dropout, targetModules: c.target_modules, useRslora: c.use_rslora },
    fanInFanOut: c.fan_in_fan_out,
    baseModelNameOrPath: c.base_model_name_or_path ?? null,
  };
}

/**
 * Writes `dir/adapter_config.json` with the fields PEFT's LoraConfig.to_dict() writes (so
 * `PeftModel.from_pretrained` and `LoraConfig.from_pretrained` read it), `target_modules` the names
 * given, `inference_mode` true as save_pretrained sets it.
 */
export async function writeAdapterConfig(dir: string, config: AdapterConfig & { readonly targetModulesSaved: readonly string[] | string }): Promise<void> {
  const { settings } = config;
  const json = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: config.baseModelNameOrPath,
    bias: 'none',
    fan_in_fan_out: config.fanInFanOut,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: settings.loraAlpha,
    lora_dropout: settings.loraDropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: settings.r,
    rank_pattern: {},
    revision: null,
    target_modules: config.targetModulesSaved,
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: settings.useRslora,
  };
  await writeFile(join(dir, ADAPTER_CONFIG_FILE), `${JSON.stringify(json, null, 2)}\n`);
}

/** PEFT's scaling of the update: lora_alpha / r, or lora_alpha / sqrt(r) with rank-stabilised LoRA. */
export function loraScaling(settings: Pick<LoraSettings, 'r' | 'loraAlpha' | 'useRslora'>): number {
  return settings.useRslora ? settings.loraAlpha / Math.sqrt(settings.r) : settings.loraAlpha / settings.r;
}
