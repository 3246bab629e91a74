import type { TensorData } from '../checkpoint/index.ts';

/**
 * Maps checkpoint keys onto a model's Hugging Face names, as `from_pretrained` does:
 * - TF-era LayerNorm names: `LayerNorm.gamma` -> `LayerNorm.weight`, `LayerNorm.beta` -> `LayerNorm.bias`;
 * - a base-model checkpoint (keys `embeddings.*`, `encoder.*`, ... without the family's prefix)
 *   loaded into a head model gets the prefix (`roberta.`, `distilbert.`).
 * `ignored` holds keys that are expected and never reported as unused (buffers, tied decoders).
 */
export function normalizeEncoderCheckpointNames(
  tensors: ReadonlyMap<string, TensorData>,
  expected: ReadonlyMap<string, readonly number[]>,
  layout: { prefix: string; baseModules: readonly string[]; ignored: readonly RegExp[] },
): { renamed: Map<string, TensorData>; ignored: Set<string> } {
  const prefix = `${layout.prefix}.`;
  const hasPrefix = [...tensors.keys()].some((key) => key.startsWith(prefix));
  const modelHasPrefix = [...expected.keys()].some((key) => key.startsWith(prefix));
  const renamed = new Map<string, TensorData>();
  for (const [key, tensor] of tensors) {
    let name = key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
    if (modelHasPrefix && !hasPrefix && layout.baseModules.some((module) => name.startsWith(module))) name = `${prefix}${name}`;
    renamed.set(name, tensor);
  }
  const ignored = new Set([...renamed.keys()].filter((name) => layout.ignored.some((pattern) => pattern.test(name))));
  return { renamed, ignored };
}
