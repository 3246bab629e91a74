import type { TensorData } from '../checkpoint/index.ts';

/**
 * Maps checkpoint keys onto the model's Hugging Face names, as `from_pretrained` does:
 * - TF-era LayerNorm names: `LayerNorm.gamma` -> `LayerNorm.weight`, `LayerNorm.beta` -> `LayerNorm.bias`;
 * - a base-model checkpoint (`BertModel`, keys `embeddings.*`, `encoder.*`, `pooler.*`) loaded into
 *   a head model gets the `bert.` prefix.
 * `ignored` holds keys that are expected and never reported as unused: the position_ids buffer and
 * the MLM decoder, which is tied to the word embeddings.
 */
export function normalizeCheckpointNames(
  tensors: ReadonlyMap<string, TensorData>,
  expected: ReadonlyMap<string, readonly number[]>,
): { renamed: Map<string, TensorData>; ignored: Set<string> } {
  const hasPrefix = [...tensors.keys()].some((key) => key.startsWith('bert.'));
  const modelHasPrefix = [...expected.keys()].some((key) => key.startsWith('bert.'));
  const renamed = new Map<string, TensorData>();
  for (const [key, tensor] of tensors) {
    let name = key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
    if (modelHasPrefix && !hasPrefix && BASE_MODULES.some((module) => name.startsWith(module))) name = `bert.${name}`;
    renamed.set(name, tensor);
  }
  const ignored = new Set([...renamed.keys()].filter((name) => IGNORED.some((pattern) => pattern.test(name))));
  return { renamed, ignored };
}

const BASE_MODULES = ['embeddings.', 'encoder.', 'pooler.'];

const IGNORED = [/^bert\.embeddings\.position_ids$/, /^cls\.predictions\.decoder\.(weight|bias)$/];
