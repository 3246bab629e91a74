import * as tf from '@tensorflow/tfjs-core';
import { dropout, embeddingLookup, layerNorm, type DropoutContext } from '../bert/ops.ts';
import { gpt2ParameterShapes, parseGpt2Config, type Gpt2Config } from '../config/index.ts';
import type { GenerationConfig } from '../generation/generation-config.ts';
import { activation } from '../layers/activations.ts';
import { appendKeyValue, causalMask, mergeHeads, scaledDotProductAttention, splitHeads, type LayerKeyValue } from '../layers/causal-attention.ts';
import { DecoderModel, type DecodeInput, type DecoderPass } from '../layers/decoder-model.ts';
import type { ParameterLookup } from '../layers/parameter-lookup.ts';
import { saveDecoderModel, type SaveDecoderOptions } from '../layers/save-decoder-model.ts';

export const GPT2_ARCHITECTURE = 'GPT2LMHeadModel';

/**
 * GPT2LMHeadModel (transformers' modeling_gpt2, eager attention): token + learned position
 * embeddings, pre-LN blocks (ln_1, causal self-attention through Conv1D `c_attn`/`c_proj` whose
 * weights are `[in, out]`, ln_2, Conv1D MLP with gelu_new), ln_f, and the LM head tied to `wte`.
 * Dropout: embd_pdrop after the embeddings, attn_pdrop on the attention probabilities,
 * resid_pdrop after each projection back into the residual stream.
 */
export class Gpt2LMHeadModel extends DecoderModel<Gpt2Config> {
  readonly vocabSize: number;
  readonly contextLimit: { length: number; source: string };
  /** Saved as generation_config.json; set it to the one loaded beside the weights to keep it. */
  generationConfig?: GenerationConfig;

  constructor(config: Gpt2Config, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, GPT2_ARCHITECTURE, gpt2ParameterShapes(config), initial);
    this.vocabSize = config.vocab_size;
    this.contextLimit = { length: config.n_positions, source: `n_positions ${config.n_positions}` };
  }

  save(dir: string, extraConfig: Record<string, unknown> = {}, options: SaveDecoderOptions = {}): Promise<void> {
    return saveDecoderModel(this, dir, extraConfig, parseGpt2Config, options);
  }

  protected pass(input: DecodeInput, drop: DropoutContext | undefined): DecoderPass {
    const c = this.config;
    const p = this.lookup;
    const { batchSize, seqLength } = input;
    const past = input.cache?.length ?? 0;
    const heads = c.n_head;
    const positions = Int32Array.from({ length: batchSize * seqLength }, (_, i) => past + (i % seqLength));
    const embedded = tf.add(embeddingLookup(p('transformer.wte.weight') as tf.Tensor2D, input.inputIds), embeddingLookup(p('transformer.wpe.weight') as tf.Tensor2D, positions));
    let hidden = dropout(embedded, c.embd_pdrop, drop, 'embeddings') as tf.Tensor2D; // [batch * seq, n_embd]
    const mask = causalMask(input.attentionMask, batchSize, seqLength, past); // [batch, 1, seq, past + seq]
    const layers: LayerKeyValue[] = [];
    // Every Conv1D through the model's adapter hook (LoRA), by its module path.
    const conv = (name: string, x: tf.Tensor2D) => this.adapted(name, x, conv1d(p, name, x), drop);
    for (let layer = 0; layer < c.n_layer; layer++) {
      const block = `transformer.h.${layer}`;
      const site = `h.${layer}`;
      const out = this.decoderLayer(`${block}.`, hidden, drop, [mask], (x, [layerMask]) => {
        const normed = norm(p, `${block}.ln_1`, x, c.layer_norm_epsilon);
        const [q, k, v] = splitColumns(conv(`${block}.attn.c_attn`, normed), 3); // 3 x [batch * seq, n_embd]
        const keyValue = appendKeyValue(input.cache?.layers[layer], splitHeads(k, batchSize, seqLength, heads), splitHeads(v, batchSize, seqLength, heads));
        const headDim = c.n_embd / heads;
        const scale = (c.scale_attn_weights ? 1 / Math.sqrt(headDim) : 1) / (c.scale_attn_by_inverse_layer_idx ? layer + 1 : 1);
        const context = scaledDotProductAttention(splitHeads(q, batchSize, seqLength, heads), keyValue.key, keyValue.value, layerMask as tf.Tensor4D, {
          scale,
          probsDropoutRate: c.attn_pdrop,
          drop,
          site,
        }); // [batch, heads, seq, headDim]
        const attended = conv(`${block}.attn.c_proj`, mergeHeads(context));
        const residual = tf.add(x, dropout(attended, c.resid_pdrop, drop, `${site}/attn-out`)) as tf.Tensor2D;
        const inner = activation(c.activation_function, conv(`${block}.mlp.c_fc`, norm(p, `${block}.ln_2`, residual, c.layer_norm_epsilon))) as tf.Tensor2D;
        return { hidden: tf.add(residual, dropout(conv(`${block}.mlp.c_proj`, inner), c.resid_pdrop, drop, `${site}/mlp-out`)) as tf.Tensor2D, keyValue };
      });
      hidden = out.hidden;
      if (out.keyValue !== undefined) layers.push(out.keyValue);
    }
    const final = norm(p, 'transformer.ln_f', hidden, c.layer_norm_epsilon);
    const head = p(c.tie_word_embeddings ? 'transformer.wte.weight' : 'lm_head.weight') as tf.Tensor2D; // [vocab, n_embd]
    const logits = tf.reshape(tf.matMul(final, head, false, true), [batchSize, seqLength, c.vocab_size]) as tf.Tensor3D;
    return { logits, layers };
  }
}

/**
 * `[rows, parts * n]` → `parts` x `[rows, n]`, as gathers of column ranges (tunefleet's autograd has
 * GatherV2's gradient on any axis; SplitV has none).
 */
function splitColumns(x: tf.Tensor2D, parts: number): tf.Tensor2D[] {
  const width = x.shape[1] / parts;
  return Array.from({ length: parts }, (_, part) => tf.gather(x, tf.tensor1d(Int32Array.from({ length: width }, (_, i) => part * width + i), 'int32'), 1));
}

/** GPT-2's Conv1D: `x @ weight + bias`, weight `[in, out]`. */
function conv1d(p: ParameterLookup, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, p(`${name}.weight`) as tf.Tensor2D), p(`${name}.bias`)) as tf.Tensor2D;
}

function norm(p: ParameterLookup, name: string, x: tf.Tensor2D, eps: number): tf.Tensor2D {
  return layerNorm(x, p(`${name}.weight`) as tf.Tensor1D, p(`${name}.bias`) as tf.Tensor1D, eps) as tf.Tensor2D;
}
