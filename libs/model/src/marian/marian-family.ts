import * as tf from '@tensorflow/tfjs-core';
import type { TensorData } from '../checkpoint/index.ts';
import { FINAL_LOGITS_BIAS, marianCheckpointShapes, type MarianConfig } from '../config/index.ts';
import { initialDecoderParameter } from '../layers/decoder-init.ts';
import type { ModelFamily } from '../layers/model-family.ts';
import type { Seq2SeqTask } from '../trainable.ts';
import { MARIAN_ARCHITECTURE, MarianMTModel } from './marian-model.ts';
import { sinusoidalPositions } from './sinusoidal-positions.ts';

const SHARED = 'model.shared.weight';
/** Copies of `model.shared.weight` that transformers' checkpoints may hold (tied, so the same values). */
const TIED_COPIES = ['model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight'];

/** Marian (`model_type` "marian"), for pretrained.ts's dispatch. */
export const MARIAN_FAMILY: ModelFamily<MarianConfig, MarianMTModel, Seq2SeqTask> = {
  architectures: () => ({ translation: MARIAN_ARCHITECTURE }),
  // The parameters and the final_logits_bias buffer (the model keeps it out of its trained parameters).
  parameterShapes: (config) => marianCheckpointShapes(config),
  normalizeCheckpointNames: (tensors, expected) => normalizeMarianNames(tensors, expected),
  // A checkpoint without final_logits_bias (transformers ignores its absence) gets zeros; an untied head is fresh.
  isHeadParameter: (name) => name === FINAL_LOGITS_BIAS || name === 'lm_head.weight',
  initialParameter(config, name, shape, seed) {
    if (name === FINAL_LOGITS_BIAS) return tf.zeros([...shape]);
    // Learned positions start from the sinusoidal table (MarianPreTrainedModel._init_weights).
    if (name.endsWith('.embed_positions.weight')) return sinusoidalPositions(shape[0], shape[1]);
    return initialDecoderParameter(name, shape, seed, {
      std: () => config.init_std,
      isNorm: (n) => /layer_norm\.(weight|bias)$/.test(n),
      paddingRows: new Map([[SHARED, config.pad_token_id]]),
    });
  },
  withLabels: (config) => config,
  build: (config: MarianConfig, _task: Seq2SeqTask, initial: ReadonlyMap<string, tf.Tensor>) => new MarianMTModel(config, initial),
};

/**
 * Checkpoint keys → MarianMTModel's names: a `MarianModel` checkpoint (no `model.` prefix) gets it;
 * `model.shared.weight` is taken from a tied copy (`embed_tokens`, `lm_head`) when a checkpoint
 * kept only that one; the tied copies, a tied `lm_head.weight` and the sinusoidal position tables
 * (recomputed, not trained) are never reported unused.
 */
function normalizeMarianNames<T extends TensorData>(tensors: ReadonlyMap<string, T>, expected: ReadonlyMap<string, readonly number[]>): { renamed: Map<string, T>; ignored: Set<string> } {
  const hasPrefix = [...tensors.keys()].some((key) => key.startsWith('model.'));
  const renamed = new Map<string, T>();
  for (const [key, tensor] of tensors) {
    const outside = key === FINAL_LOGITS_BIAS || key.startsWith('lm_head.');
    renamed.set(!hasPrefix && !outside ? `model.${key}` : key, tensor);
  }
  if (!renamed.has(SHARED)) {
    const copy = [...TIED_COPIES, 'lm_head.weight'].find((name) => renamed.has(name));
    if (copy !== undefined) renamed.set(SHARED, renamed.get(copy)!);
  }
  const ignored = new Set(
    [...renamed.keys()].filter(
      (name) => TIED_COPIES.includes(name) || (name === 'lm_head.weight' && !expected.has(name)) || (name.endsWith('.embed_positions.weight') && !expected.has(name)),
    ),
  );
  return { renamed, ignored };
}
