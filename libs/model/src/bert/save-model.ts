import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type TensorData, writeSafetensors } from '../checkpoint/index.ts';
import { numLabels, parseBertConfig, writeBertConfig, type BertConfig } from '../config/index.ts';
import type { ModelTask } from '../trainable.ts';
import { ARCHITECTURES } from './architectures.ts';

interface SavableModel {
  readonly task: ModelTask;
  readonly config: BertConfig;
  readonly parameters: ReadonlyMap<string, tf.Variable>;
}

/** Copies every parameter to host memory, by HF name: for checkpoints and best-model restore. */
export function getWeights(model: { readonly parameters: ReadonlyMap<string, tf.Variable> }): Map<string, TensorData> {
  const weights = new Map<string, TensorData>();
  for (const [name, variable] of model.parameters) {
    weights.set(name, { shape: [...variable.shape], data: Float32Array.from(variable.dataSync() as Float32Array) });
  }
  return weights;
}

/**
 * Writes `dir/config.json` (every BertConfig field, `extraConfig` merged in, `architectures`, and
 * id2label/label2id for classification heads) and `dir/model.safetensors` (F32, HF names). The tied
 * MLM decoder is not written separately: HF ties it back to the word embeddings on load.
 */
export async function saveModel(model: SavableModel, dir: string, extraConfig: Record<string, unknown>): Promise<void> {
  const configFile = join(dir, 'config.json');
  const labels = model.task === 'masked-lm' ? {} : labelMaps(model.config);
  const config = parseBertConfig({ ...model.config, ...labels, ...extraConfig, architectures: [ARCHITECTURES[model.task]] }, configFile);
  await writeBertConfig(configFile, config);
  await writeSafetensors(join(dir, 'model.safetensors'), getWeights(model), { format: 'pt' });
}

/** HF writes LABEL_0.. when no names were given; keep given names as they are. */
function labelMaps(config: BertConfig): { id2label: Record<string, string>; label2id: Record<string, number> } {
  const count = numLabels(config);
  const id2label = config.id2label ?? Object.fromEntries(Array.from({ length: count }, (_, i) => [String(i), `LABEL_${i}`]));
  const label2id = config.label2id ?? Object.fromEntries(Object.entries(id2label).map(([id, label]) => [label, Number(id)]));
  return { id2label, label2id };
}
