import type * as tf from '@tensorflow/tfjs-core';
import { llamaParameterShapes, type LlamaConfig } from '../config/index.ts';
import { initialDecoderParameter, normalizeDecoderCheckpointNames } from '../layers/decoder-init.ts';
import type { ModelFamily } from '../layers/model-family.ts';
import type { CausalTask } from '../trainable.ts';
import { LLAMA_ARCHITECTURES, LlamaForCausalLM } from './llama-model.ts';

const isLlamaNorm = (name: string) => /(input_layernorm|post_attention_layernorm|^model\.norm)\.weight$/.test(name);

/** Llama and Qwen2 (`model_type` "llama" / "qwen2"), for pretrained.ts's dispatch. */
export const LLAMA_FAMILY: ModelFamily<LlamaConfig, LlamaForCausalLM, CausalTask> = {
  architectures: (config) => ({ 'causal-lm': LLAMA_ARCHITECTURES[config.model_type] }),
  parameterShapes: (config) => llamaParameterShapes(config),
  normalizeCheckpointNames: (tensors, expected) =>
    normalizeDecoderCheckpointNames(tensors, expected, {
      prefix: 'model',
      // RoPE's inverse frequencies, a buffer some older checkpoints saved.
      ignored: [/^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/],
    }),
  isHeadParameter: (name) => name === 'lm_head.weight',
  initialParameter(config, name, shape, seed) {
    const paddingRows = typeof config.pad_token_id === 'number' ? new Map([['model.embed_tokens.weight', config.pad_token_id]]) : undefined;
    return initialDecoderParameter(name, shape, seed, { std: () => config.initializer_range, isNorm: isLlamaNorm, ...(paddingRows ? { paddingRows } : {}) });
  },
  withLabels: (config) => config,
  build: (config: LlamaConfig, _task: CausalTask, initial: ReadonlyMap<string, tf.Tensor>) => new LlamaForCausalLM(config, initial),
};
