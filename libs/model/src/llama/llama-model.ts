import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup, type DropoutContext } from '../bert/ops.ts';
import { llamaBiases, llamaHeadDim, llamaKeyValueHeads, llamaParameterShapes, parseLlamaConfig, type LlamaConfig } from '../config/index.ts';
import type { GenerationConfig } from '../generation/generation-config.ts';
import { activation, rmsNorm } from '../layers/activations.ts';
import { appendKeyValue, causalMask, mergeHeads, repeatKeyValueHeads, scaledDotProductAttention, splitHeads, type LayerKeyValue } from '../layers/causal-attention.ts';
import { DecoderModel, type DecodeInput, type DecoderPass } from '../layers/decoder-model.ts';
import type { ParameterLookup } from '../layers/parameter-lookup.ts';
import { saveDecoderModel, type SaveDecoderOptions } from '../layers/save-decoder-model.ts';
import { applyRotary, rotaryTables } from './rotary.ts';

/** The Hugging Face class of each model_type this family computes. */
export const LLAMA_ARCHITECTURES = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM' } as const;

/**
 * LlamaForCausalLM / Qwen2ForCausalLM (transformers' modeling_llama, eager attention): token
 * embeddings (padding_idx = pad_token_id), pre-norm blocks (input_layernorm RMSNorm, self-attention
 * with RoPE on q and k and grouped-query k/v heads, post_attention_layernorm, SwiGLU MLP
 * `down(silu(gate(x)) * up(x))`), the final RMSNorm `model.norm`, and `lm_head` (or the embeddings
 * when tie_word_embeddings). Biases: Qwen2's q/k/v; Llama's q/k/v/o with attention_bias, MLP with mlp_bias.
 */
export class LlamaForCausalLM extends DecoderModel<LlamaConfig> {
  readonly vocabSize: number;
  readonly contextLimit = undefined;
  /** Saved as generation_config.json; set it to the one loaded beside the weights to keep it. */
  generationConfig?: GenerationConfig;

  constructor(config: LlamaConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, LLAMA_ARCHITECTURES[config.model_type], llamaParameterShapes(config), initial);
    this.vocabSize = config.vocab_size;
  }

  save(dir: string, extraConfig: Record<string, unknown> = {}, options: SaveDecoderOptions = {}): Promise<void> {
    return saveDecoderModel(this, dir, extraConfig, parseLlamaConfig, options);
  }

  protected pass(input: DecodeInput, drop: DropoutContext | undefined): DecoderPass {
    const c = this.config;
    const p = this.lookup;
    const { batchSize, seqLength } = input;
    const past = input.cache?.length ?? 0;
    const heads = c.num_attention_heads;
    const kvHeads = llamaKeyValueHeads(c);
    const headDim = llamaHeadDim(c);
    const biases = llamaBiases(c);
    const eps = c.rms_norm_eps;
    const pad = c.pad_token_id ?? undefined;
    let hidden = embeddingLookup(p('model.embed_tokens.weight') as tf.Tensor2D, input.inputIds, pad); // [batch * seq, hidden]
    const mask = causalMask(input.attentionMask, batchSize, seqLength, past); // [batch, 1, seq, past + seq]
    const { cos, sin } = rotaryTables(c, headDim, past, seqLength); // [seq, headDim]
    const layers: LayerKeyValue[] = [];
    // Every projection through the model's adapter hook (LoRA), by its module path.
    const proj = (name: string, x: tf.Tensor2D, hasBias: boolean) => this.adapted(name, x, linear(p, name, x, hasBias), drop);
    for (let layer = 0; layer < c.num_hidden_layers; layer++) {
      const block = `model.layers.${layer}`;
      const out = this.decoderLayer(`${block}.`, hidden, drop, [mask, cos, sin], (x, [layerMask, layerCos, layerSin]) => {
        const normed = rmsNorm(x, p(`${block}.input_layernorm.weight`) as tf.Tensor1D, eps);
        const project = (name: string, heads_: number) => splitHeads(proj(`${block}.self_attn.${name}`, normed, biases.qkv), batchSize, seqLength, heads_);
        const query = applyRotary(project('q_proj', heads), layerCos as tf.Tensor2D, layerSin as tf.Tensor2D); // [batch, heads, seq, headDim]
        const key = applyRotary(project('k_proj', kvHeads), layerCos as tf.Tensor2D, layerSin as tf.Tensor2D); // [batch, kvHeads, seq, headDim]
        const keyValue = appendKeyValue(input.cache?.layers[layer], key, project('v_proj', kvHeads));
        const groups = heads / kvHeads;
        const context = scaledDotProductAttention(query, repeatKeyValueHeads(keyValue.key, groups), repeatKeyValueHeads(keyValue.value, groups), layerMask as tf.Tensor4D, {
          scale: 1 / Math.sqrt(headDim),
          probsDropoutRate: c.attention_dropout,
          drop,
          site: `layers.${layer}`,
        }); // [batch, heads, seq, headDim]
        const residual = tf.add(x, proj(`${block}.self_attn.o_proj`, mergeHeads(context), biases.output)) as tf.Tensor2D;
        const post = rmsNorm(residual, p(`${block}.post_attention_layernorm.weight`) as tf.Tensor1D, eps);
        const gate = activation(c.hidden_act, proj(`${block}.mlp.gate_proj`, post, c.mlp_bias));
        const up = proj(`${block}.mlp.up_proj`, post, c.mlp_bias);
        return { hidden: tf.add(residual, proj(`${block}.mlp.down_proj`, tf.mul(gate, up) as tf.Tensor2D, c.mlp_bias)) as tf.Tensor2D, keyValue };
      });
      hidden = out.hidden;
      if (out.keyValue !== undefined) layers.push(out.keyValue);
    }
    const final = rmsNorm(hidden, p('model.norm.weight') as tf.Tensor1D, eps);
    const head = p(c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight') as tf.Tensor2D; // [vocab, hidden]
    const logits = tf.reshape(tf.matMul(final, head, false, true), [batchSize, seqLength, c.vocab_size]) as tf.Tensor3D;
    return { logits, layers };
  }
}

/** nn.Linear `x @ weight^T (+ bias)`, weight `[out, in]`. */
function linear(p: ParameterLookup, name: string, x: tf.Tensor2D, hasBias: boolean): tf.Tensor2D {
  const product = tf.matMul(x, p(`${name}.weight`) as tf.Tensor2D, false, true);
  return (hasBias ? tf.add(product, p(`${name}.bias`)) : product) as tf.Tensor2D;
}
