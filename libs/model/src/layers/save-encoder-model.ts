import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { type TensorData, writeSafetensors } from '../checkpoint/index.ts';
import { numLabels, writeModelConfig } from '../config/index.ts';
import type { ModelTask } from '../trainable.ts';

interface SavableModel<C> {
  readonly task: ModelTask;
  readonly config: C;
  readonly architecture: string;
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
 * Writes `dir/config.json` (every config field, `extraConfig` merged in, `architectures`, and
 * id2label/label2id for classification heads), validated by the family's `parse`, and
 * `dir/model.safetensors` (F32, HF names). A tied MLM decoder is not written separately: HF ties it
 * back to the word embeddings on load.
 */
export async function saveEncoderModel<C extends object>(
  model: SavableModel<C>,
  dir: string,
  extraConfig: Record<string, unknown>,
  parse: (json: unknown, file: string) => C,
): Promise<void> {
  const configFile = join(dir, 'config.json');
  const labels = model.task === 'masked-lm' ? {} : labelMaps(model.config as LabelFields);
  const config = parse({ ...model.config, ...labels, ...extraConfig, architectures: [model.architecture] }, configFile);
  await writeModelConfig(configFile, config as Record<string, unknown>);
  await writeSafetensors(join(dir, 'model.safetensors'), getWeights(model), { format: 'pt' });
}

interface LabelFields {
  readonly id2label?: Record<string, string>;
  readonly label2id?: Record<string, number>;
  readonly num_labels?: number;
}

/** HF writes LABEL_0.. when no names were given; keep given names as they are. */
function labelMaps(config: LabelFields): { id2label: Record<string, string>; label2id: Record<string, number> } {
  const count = numLabels(config);
  const id2label = config.id2label ?? Object.fromEntries(Array.from({ length: count }, (_, i) => [String(i), `LABEL_${i}`]));
  const label2id = config.label2id ?? Object.fromEntries(Object.entries(id2label).map(([id, label]) => [label, Number(id)]));
  return { id2label, label2id };
}
