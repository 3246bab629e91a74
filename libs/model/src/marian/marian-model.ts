import * as tf from '@tensorflow/tfjs-core';
import { dropout, embeddingLookup, extendedAttentionMask, layerNorm, type DropoutContext } from '../bert/ops.ts';
import { FINAL_LOGITS_BIAS, marianParameterShapes, parseMarianConfig, type MarianActivation, type MarianConfig } from '../config/index.ts';
import type { GenerationConfig } from '../generation/generation-config.ts';
import { activation } from '../layers/activations.ts';
import { appendKeyValue, causalMask, mergeHeads, scaledDotProductAttention, splitHeads, type LayerKeyValue } from '../layers/causal-attention.ts';
import { linear } from '../layers/parameter-lookup.ts';
import { EncoderDecoderModel, type Seq2SeqDecodeInput, type Seq2SeqDecoderPass, type SourceInput } from '../seq2seq/encoder-decoder-model.ts';
import { saveSeq2SeqModel } from '../seq2seq/save-seq2seq-model.ts';
import { sinusoidalPositions } from './sinusoidal-positions.ts';

export const MARIAN_ARCHITECTURE = 'MarianMTModel';
const ENCODER_POSITIONS = 'model.encoder.embed_positions.weight';
const DECODER_POSITIONS = 'model.decoder.embed_positions.weight';

/**
 * MarianMTModel (transformers' modeling_marian, eager attention): token embeddings `model.shared`
 * (times sqrt(d_model) with `scale_embedding`) plus sinusoidal positions, dropout; post-LN encoder
 * layers (self-attention, residual, self_attn_layer_norm; fc1, activation, fc2, residual,
 * final_layer_norm) and decoder layers (causal self-attention, cross-attention over the encoder
 * output, feed-forward, each followed by its LayerNorm); no final or embedding LayerNorm; logits
 * `lm_head(x) + final_logits_bias`, the head tied to `model.shared`. Attention scales the queries by
 * head_dim^-0.5. Dropout: `dropout` after the embeddings and each sub-layer, `attention_dropout` on
 * the attention probabilities, `activation_dropout` after the activation.
 */
export class MarianMTModel extends EncoderDecoderModel<MarianConfig> {
  readonly vocabSize: number;
  readonly positionLimit: { length: number; source: string };
  readonly decoderStartTokenId: number;
  readonly padTokenId: number;
  /** Saved as generation_config.json; set it to the one loaded beside the weights to keep it. */
  generationConfig?: GenerationConfig;
  private readonly staticPositions: tf.Tensor2D | undefined;

  constructor(config: MarianConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, MARIAN_ARCHITECTURE, marianParameterShapes(config), new Map([[FINAL_LOGITS_BIAS, [1, config.vocab_size]]]), initial);
    this.vocabSize = config.vocab_size;
    this.positionLimit = { length: config.max_position_embeddings, source: `max_position_embeddings ${config.max_position_embeddings}` };
    this.decoderStartTokenId = config.decoder_start_token_id;
    this.padTokenId = config.pad_token_id;
    this.staticPositions = config.static_position_embeddings ? tf.keep(sinusoidalPositions(config.max_position_embeddings, config.d_model)) : undefined;
  }

  /** The position tables as a checkpoint holds them (the static ones too, as transformers saves them). */
  positionTables(): Map<string, tf.Tensor2D> {
    const p = this.lookup;
    return new Map([ENCODER_POSITIONS, DECODER_POSITIONS].map((name) => [name, this.staticPositions ?? (p(name) as tf.Tensor2D)]));
  }

  save(dir: string, extraConfig: Record<string, unknown> = {}): Promise<void> {
    return saveSeq2SeqModel(this, dir, extraConfig, parseMarianConfig);
  }

  override dispose(): void {
    super.dispose();
    this.staticPositions?.dispose();
  }

  protected encoderPass(input: SourceInput, drop: DropoutContext | undefined): tf.Tensor3D {
    const c = this.config;
    const p = this.lookup;
    const { batchSize, sourceLength } = input;
    let hidden = this.embed(input.inputIds, batchSize, sourceLength, 0, ENCODER_POSITIONS, drop, 'encoder'); // [batch * src, d]
    const mask = extendedAttentionMask(input.attentionMask, batchSize, sourceLength); // [batch, 1, 1, src]
    for (let layer = 0; layer < c.encoder_layers; layer++) {
      const block = `model.encoder.layers.${layer}`;
      const site = `encoder.${layer}`;
      const q = splitHeads(linear(p, `${block}.self_attn.q_proj`, hidden), batchSize, sourceLength, c.encoder_attention_heads);
      const k = splitHeads(linear(p, `${block}.self_attn.k_proj`, hidden), batchSize, sourceLength, c.encoder_attention_heads);
      const v = splitHeads(linear(p, `${block}.self_attn.v_proj`, hidden), batchSize, sourceLength, c.encoder_attention_heads);
      const attended = this.attend(q, k, v, mask, `${block}.self_attn`, c.encoder_attention_heads, drop, site);
      hidden = this.residualNorm(hidden, attended, `${block}.self_attn_layer_norm`, drop, `${site}/attn-out`);
      hidden = this.feedForward(hidden, block, drop, site);
    }
    return tf.reshape(hidden, [batchSize, sourceLength, c.d_model]);
  }

  protected decoderPass(input: Seq2SeqDecodeInput, drop: DropoutContext | undefined): Seq2SeqDecoderPass {
    const c = this.config;
    const p = this.lookup;
    const { batchSize, seqLength, encoder } = input;
    const heads = c.decoder_attention_heads;
    const past = input.cache?.length ?? 0;
    let hidden = this.embed(input.decoderInputIds, batchSize, seqLength, past, DECODER_POSITIONS, drop, 'decoder'); // [batch * seq, d]
    const selfMask = causalMask(input.decoderAttentionMask, batchSize, seqLength, past); // [batch, 1, seq, past + seq]
    const crossMask = extendedAttentionMask(encoder.attentionMask, batchSize, encoder.sourceLength); // [batch, 1, 1, src]
    const memory = tf.reshape(encoder.hidden, [batchSize * encoder.sourceLength, c.d_model]) as tf.Tensor2D;
    const self: LayerKeyValue[] = [];
    const cross: LayerKeyValue[] = [];
    for (let layer = 0; layer < c.decoder_layers; layer++) {
      const block = `model.decoder.layers.${layer}`;
      const site = `decoder.${layer}`;
      const q = splitHeads(linear(p, `${block}.self_attn.q_proj`, hidden), batchSize, seqLength, heads);
      const kv = appendKeyValue(
        input.cache?.self[layer],
        splitHeads(linear(p, `${block}.self_attn.k_proj`, hidden), batchSize, seqLength, heads),
        splitHeads(linear(p, `${block}.self_attn.v_proj`, hidden), batchSize, seqLength, heads),
      );
      self.push(kv);
      hidden = this.residualNorm(hidden, this.attend(q, kv.key, kv.value, selfMask, `${block}.self_attn`, heads, drop, site), `${block}.self_attn_layer_norm`, drop, `${site}/attn-out`);
      // Cross-attention: keys and values of the encoder output, once per generation (then cached).
      const memoryKv = input.cache?.cross[layer] ?? {
        key: splitHeads(linear(p, `${block}.encoder_attn.k_proj`, memory), batchSize, encoder.sourceLength, heads),
        value: splitHeads(linear(p, `${block}.encoder_attn.v_proj`, memory), batchSize, encoder.sourceLength, heads),
      };
      cross.push(memoryKv);
      const crossQ = splitHeads(linear(p, `${block}.encoder_attn.q_proj`, hidden), batchSize, seqLength, heads);
      const crossed = this.attend(crossQ, memoryKv.key, memoryKv.value, crossMask, `${block}.encoder_attn`, heads, drop, `${site}/cross`);
      hidden = this.residualNorm(hidden, crossed, `${block}.encoder_attn_layer_norm`, drop, `${site}/cross-out`);
      hidden = this.feedForward(hidden, block, drop, site);
    }
    const head = p(c.tie_word_embeddings ? 'model.shared.weight' : 'lm_head.weight') as tf.Tensor2D; // [vocab, d]
    const logits = tf.add(tf.matMul(hidden, head, false, true), p(FINAL_LOGITS_BIAS));
    return { logits: tf.reshape(logits, [batchSize, seqLength, c.vocab_size]) as tf.Tensor3D, self, cross };
  }

  /** `embed_tokens(ids) * embed_scale + positions[past ..]`, then dropout: `[batch * seq, d]`. */
  private embed(ids: Int32Array, batchSize: number, seqLength: number, past: number, positionsName: string, drop: DropoutContext | undefined, site: string): tf.Tensor2D {
    const c = this.config;
    const table = this.staticPositions ?? (this.lookup(positionsName) as tf.Tensor2D);
    const positions = Int32Array.from({ length: batchSize * seqLength }, (_, i) => past + (i % seqLength));
    const tokens = embeddingLookup(this.lookup('model.shared.weight') as tf.Tensor2D, ids, c.pad_token_id);
    const scaled = c.scale_embedding ? tf.mul(tokens, Math.sqrt(c.d_model)) : tokens;
    const embedded = tf.add(scaled, embeddingLookup(table, positions));
    return dropout(embedded, c.dropout, drop, `${site}/embeddings`) as tf.Tensor2D;
  }

  /** MarianAttention's core and out_proj: softmax(q k^T / sqrt(head_dim) + mask) v → `[batch * seq, d]`. */
  private attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D, module: string, heads: number, drop: DropoutContext | undefined, site: string): tf.Tensor2D {
    const headDim = this.config.d_model / heads;
    const context = scaledDotProductAttention(q, k, v, mask, { scale: 1 / Math.sqrt(headDim), probsDropoutRate: this.config.attention_dropout, drop, site });
    return linear(this.lookup, `${module}.out_proj`, mergeHeads(context));
  }

  /** Post-LN residual: `LayerNorm(x + dropout(y))`. */
  private residualNorm(x: tf.Tensor2D, y: tf.Tensor2D, norm: string, drop: DropoutContext | undefined, site: string): tf.Tensor2D {
    const p = this.lookup;
    const summed = tf.add(x, dropout(y, this.config.dropout, drop, site));
    return layerNorm(summed, p(`${norm}.weight`) as tf.Tensor1D, p(`${norm}.bias`) as tf.Tensor1D, 1e-5) as tf.Tensor2D;
  }

  private feedForward(x: tf.Tensor2D, block: string, drop: DropoutContext | undefined, site: string): tf.Tensor2D {
    const c = this.config;
    const inner = marianActivation(c.activation_function, linear(this.lookup, `${block}.fc1`, x));
    const out = linear(this.lookup, `${block}.fc2`, dropout(inner, c.activation_dropout, drop, `${site}/activation`) as tf.Tensor2D);
    return this.residualNorm(x, out, `${block}.final_layer_norm`, drop, `${site}/ffn-out`);
  }
}

function marianActivation(name: MarianActivation, x: tf.Tensor2D): tf.Tensor2D {
  return activation(name === 'swish' ? 'silu' : name, x) as tf.Tensor2D;
}

