import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { writeSafetensorsModel, type TensorData } from '../checkpoint/index.ts';
import { writeModelConfig } from '../config/index.ts';
import { generationConfigFromModelConfig, writeGenerationConfig, type GenerationConfig } from '../generation/generation-config.ts';
import { getWeights } from '../layers/save-encoder-model.ts';

interface SavableSeq2SeqModel<C> {
  readonly config: C;
  readonly architecture: string;
  readonly parameters: ReadonlyMap<string, tf.Variable>;
  readonly buffers: ReadonlyMap<string, tf.Tensor>;
  readonly generationConfig?: GenerationConfig;
  /** Non-trained tables a checkpoint holds (Marian's sinusoidal positions). */
  positionTables(): ReadonlyMap<string, tf.Tensor>;
}

/**
 * Writes `dir/config.json` (validated by the family's `parse`, `architectures` set),
 * `dir/generation_config.json` (the model's, else the one transformers derives from config.json:
 * num_beams, max_length, bad_words_ids, forced_eos_token_id, decoder_start_token_id...), and
 * `model.safetensors` with the parameters, the buffers (`final_logits_bias`) and the position
 * tables, so `from_pretrained` finds every tensor; tied copies (`embed_tokens`, `lm_head`) are not written.
 */
export async function saveSeq2SeqModel<C extends object>(model: SavableSeq2SeqModel<C>, dir: string, extraConfig: Record<string, unknown>, parse: (json: unknown, file: string) => C): Promise<void> {
  const configFile = join(dir, 'config.json');
  const config = parse({ ...model.config, ...extraConfig, architectures: [model.architecture] }, configFile);
  await writeModelConfig(configFile, config as Record<string, unknown>);
  await writeGenerationConfig(dir, model.generationConfig ?? generationConfigFromModelConfig(config));
  const weights = getWeights(model);
  for (const [name, tensor] of [...model.buffers, ...model.positionTables()]) {
    if (!weights.has(name)) weights.set(name, hostCopy(tensor));
  }
  await writeSafetensorsModel(dir, weights);
}

function hostCopy(tensor: tf.Tensor): TensorData {
  return { shape: [...tensor.shape], data: Float32Array.from(tensor.dataSync() as Float32Array) };
}
