import type * as tf from '@tensorflow/tfjs-core';
import { gpt2ParameterShapes, type Gpt2Config } from '../config/index.ts';
import { initialDecoderParameter, normalizeDecoderCheckpointNames } from '../layers/decoder-init.ts';
import type { ModelFamily } from '../layers/model-family.ts';
import type { CausalTask } from '../trainable.ts';
import { GPT2_ARCHITECTURE, Gpt2LMHeadModel } from './gpt2-model.ts';

const isGpt2Norm = (name: string) => /\.(ln_\d+|ln_f)\.(weight|bias)$/.test(name);

/** GPT-2 (`model_type` "gpt2"), for pretrained.ts's dispatch. */
export const GPT2_FAMILY: ModelFamily<Gpt2Config, Gpt2LMHeadModel, CausalTask> = {
  architectures: () => ({ 'causal-lm': GPT2_ARCHITECTURE }),
  parameterShapes: (config) => gpt2ParameterShapes(config),
  normalizeCheckpointNames: (tensors, expected) =>
    normalizeDecoderCheckpointNames(tensors, expected, {
      prefix: 'transformer',
      // The causal-mask buffers older checkpoints carry (`attn.bias`, `attn.masked_bias`).
      ignored: [/^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/],
    }),
  isHeadParameter: (name) => name === 'lm_head.weight',
  initialParameter(config, name, shape, seed) {
    // GPT-2 scales its residual projections by 1/sqrt(2 n_layer) (GPT2PreTrainedModel._init_weights).
    const scaled = config.initializer_range / Math.sqrt(2 * config.n_layer);
    return initialDecoderParameter(name, shape, seed, {
      std: (n) => (/\.c_proj\.weight$/.test(n) ? scaled : config.initializer_range),
      isNorm: isGpt2Norm,
    });
  },
  withLabels: (config) => config,
  build: (config: Gpt2Config, _task: CausalTask, initial: ReadonlyMap<string, tf.Tensor>) => new Gpt2LMHeadModel(config, initial),
};
