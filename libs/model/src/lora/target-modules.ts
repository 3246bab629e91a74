import type * as tf from '@tensorflow/tfjs-core';
import { LoraError } from './lora-error.ts';

/** A linear module LoRA can adapt: its Hugging Face path and sizes. */
export interface LinearModule {
  /** `transformer.h.0.attn.c_attn`, `model.layers.0.self_attn.q_proj`. */
  readonly path: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** GPT-2's Conv1D stores its weight `[in, out]` (PEFT's fan_in_fan_out); nn.Linear `[out, in]`. */
  readonly fanInFanOut: boolean;
}

/**
 * The linear modules inside a decoder's layers (`transformer.h.N.*`, `model.layers.N.*`): every 2-D
 * `.weight` there. Embeddings and the LM head are outside the layers and are not adapted (PEFT's
 * "all-linear" leaves the output layer out too).
 */
export function decoderLinearModules(parameters: ReadonlyMap<string, tf.Variable>, fanInFanOut: boolean): LinearModule[] {
  const modules: LinearModule[] = [];
  for (const [name, variable] of parameters) {
    const match = /^(.*\.(?:h|layers)\.\d+\..+)\.weight$/.exec(name);
    if (match === null || variable.shape.length !== 2) continue;
    const [rows, columns] = variable.shape as [number, number];
    modules.push({ path: match[1]!, inFeatures: fanInFanOut ? rows : columns, outFeatures: fanInFanOut ? columns : rows, fanInFanOut });
  }
  return modules;
}

/** PEFT's check_target_module_exists: a list matches a path equal to a name or ending in `.name`; a string is a regex the whole path must match. */
export function isTargeted(path: string, targets: readonly string[] | string): boolean {
  if (typeof targets === 'string') return targets === 'all-linear' || new RegExp(`^(?:${targets})$`).test(path);
  return targets.some((target) => path === target || path.endsWith(`.${target}`));
}

/**
 * The modules `targets` select. A listed name that selects nothing, or a regex that selects
 * nothing, is an error listing the module names the model has (PEFT fails only when nothing at
 * all matches; a typo among good names would otherwise go unnoticed).
 */
export function selectTargets(modules: readonly LinearModule[], targets: readonly string[] | string, architecture: string): LinearModule[] {
  const names = [...new Set(modules.map((m) => shortName(m.path)))];
  const has = `${architecture} has these linear modules: ${names.join(', ')} (in each layer: ${[...new Set(modules.map((m) => m.path.replace(/^.*\.(?:h|layers)\.\d+\./, '')))].join(', ')})`;
  if (typeof targets !== 'string') {
    const missing = targets.filter((target) => !modules.some((m) => isTargeted(m.path, [target])));
    if (missing.length > 0) {
      throw new LoraError('LORA_TARGET_NOT_FOUND', `--lora-target-modules: ${missing.map((t) => `"${t}"`).join(', ')} not found; ${has}`);
    }
  }
  const selected = modules.filter((m) => isTargeted(m.path, targets));
  if (selected.length === 0) throw new LoraError('LORA_TARGET_NOT_FOUND', `--lora-target-modules: the pattern "${String(targets)}" matches no module; ${has}`);
  return selected;
}

function shortName(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}
