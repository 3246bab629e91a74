import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { writeSafetensorsModel } from '../checkpoint/index.ts';
import { writeModelConfig } from '../config/index.ts';
import { generationConfigFromModelConfig, writeGenerationConfig, type GenerationConfig } from '../generation/generation-config.ts';
import { getWeights } from './save-encoder-model.ts';

export interface SaveDecoderOptions {
  /** Weights above this many bytes (F32) are written as shards with an index; transformers' default 5 GB. */
  readonly maxShardBytes?: number;
}

/**
 * Writes `dir/config.json` (validated by the family's `parse`, `architectures` set),
 * `dir/generation_config.json` (the model's, else the one transformers derives from config.json),
 * and the weights as `model.safetensors` or, above `maxShardBytes`, sharded safetensors with
 * `model.safetensors.index.json`. A tied `lm_head.weight` is not written: transformers ties it back.
 */
export async function saveDecoderModel<C extends object>(
  model: { readonly config: C; readonly architecture: string; readonly parameters: ReadonlyMap<string, tf.Variable>; readonly generationConfig?: GenerationConfig },
  dir: string,
  extraConfig: Record<string, unknown>,
  parse: (json: unknown, file: string) => C,
  options: SaveDecoderOptions = {},
): Promise<void> {
  const configFile = join(dir, 'config.json');
  const config = parse({ ...model.config, ...extraConfig, architectures: [model.architecture] }, configFile);
  await writeModelConfig(configFile, config as Record<string, unknown>);
  await writeGenerationConfig(dir, model.generationConfig ?? generationConfigFromModelConfig(config));
  await writeSafetensorsModel(dir, getWeights(model), { ...(options.maxShardBytes === undefined ? {} : { maxShardBytes: options.maxShardBytes }) });
}
