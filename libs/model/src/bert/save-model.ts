import type * as tf from '@tensorflow/tfjs-core';
import { parseBertConfig, type BertConfig } from '../config/index.ts';
import { saveEncoderModel } from '../layers/save-encoder-model.ts';
import type { ModelTask } from '../trainable.ts';

interface SavableModel {
  readonly task: ModelTask;
  readonly config: BertConfig;
  readonly architecture: string;
  readonly parameters: ReadonlyMap<string, tf.Variable>;
}

export { getWeights } from '../layers/save-encoder-model.ts';

/**
 * Writes `dir/config.json` (every BertConfig field, `extraConfig` merged in, `architectures`, and
 * id2label/label2id for classification heads) and `dir/model.safetensors` (F32, HF names). The tied
 * MLM decoder is not written separately: HF ties it back to the word embeddings on load.
 */
export function saveModel(model: SavableModel, dir: string, extraConfig: Record<string, unknown>): Promise<void> {
  return saveEncoderModel(model, dir, extraConfig, parseBertConfig);
}
