import * as tf from '@tensorflow/tfjs-core';
import { BertModelError } from '../bert/bert-model-error.ts';
import { crossEntropy } from '../bert/cross-entropy.ts';
import type { DropoutContext } from '../bert/ops.ts';
import { sameShape } from '../layers/encoder-model.ts';
import type { LayerKeyValue } from '../layers/causal-attention.ts';
import type { ParameterLookup } from '../layers/parameter-lookup.ts';
import type { ModelBatch, TrainableModel } from '../trainable.ts';
import type { EncoderOutput, Seq2SeqCache } from './seq2seq-cache.ts';

/** One decoder pass: `seqLength` new target tokens per row after the cache's positions. */
export interface Seq2SeqDecodeInput {
  readonly batchSize: number;
  readonly seqLength: number;
  readonly decoderInputIds: Int32Array; // [batch, seq]
  /** 1 = real token over ALL target positions (cached + new): `[batch, past + seq]`; all real when absent. */
  readonly decoderAttentionMask?: Int32Array;
  readonly encoder: EncoderOutput;
  readonly cache?: Seq2SeqCache;
}

/** What a family's decoder computes for one pass: logits of the new positions and the cache entries after it. */
export interface Seq2SeqDecoderPass {
  readonly logits: tf.Tensor3D; // [batch, seq, vocab]
  readonly self: LayerKeyValue[];
  readonly cross: LayerKeyValue[];
}

/** The source side of a pass: ids and mask `[batch, sourceLength]`. */
export interface SourceInput {
  readonly batchSize: number;
  readonly sourceLength: number;
  readonly inputIds: Int32Array;
  readonly attentionMask: Int32Array;
}

/**
 * What the encoder-decoder families (Marian) share: parameters as tf.Variables keyed by HF names in
 * HF order, buffers (non-trained tensors a checkpoint holds, as `final_logits_bias`), the seq2seq
 * batch contract (source `inputIds`, target `decoderInputIds` and `labels` `[batch, targetLength]`),
 * the unshifted cross-entropy, and `encode` / `decode` with a key/value cache for generation.
 * A family adds its encoder pass, decoder pass and save.
 */
export abstract class EncoderDecoderModel<C> implements TrainableModel {
  readonly task = 'translation' as const;
  readonly parameters: ReadonlyMap<string, tf.Variable>;
  /** Checkpoint tensors that are not trained (registered buffers); saved with the weights. */
  readonly buffers: ReadonlyMap<string, tf.Tensor>;
  abstract readonly vocabSize: number;
  /** The longest source or target, and the config field that says so. */
  abstract readonly positionLimit: { readonly length: number; readonly source: string };
  /** The decoder's first input (config.json's decoder_start_token_id) and its padding id. */
  abstract readonly decoderStartTokenId: number;
  abstract readonly padTokenId: number;

  constructor(
    readonly config: C,
    /** The Hugging Face class, as config.json's `architectures` and messages name it. */
    readonly architecture: string,
    shapes: ReadonlyMap<string, readonly number[]>,
    bufferShapes: ReadonlyMap<string, readonly number[]>,
    initial: ReadonlyMap<string, tf.Tensor>,
  ) {
    const take = (name: string, shape: readonly number[]) => {
      const value = initial.get(name);
      if (value === undefined) throw new BertModelError('MISSING_WEIGHT', `no initial value for "${name}"`, name);
      if (!sameShape(value.shape, shape)) throw new BertModelError('SHAPE_MISMATCH', `"${name}" expects [${shape.join(', ')}], got [${value.shape.join(', ')}]`, name);
      return value;
    };
    this.parameters = new Map([...shapes].map(([name, shape]) => [name, tf.variable(take(name, shape), true)]));
    this.buffers = new Map([...bufferShapes].map(([name, shape]) => [name, tf.keep(tf.clone(take(name, shape)))]));
  }

  /** The family's encoder: hidden states `[batch, source, d_model]` (a tidy scope is around it). */
  protected abstract encoderPass(input: SourceInput, drop: DropoutContext | undefined): tf.Tensor3D;
  /** The family's decoder over new positions after `input.cache` (a tidy scope is around it). */
  protected abstract decoderPass(input: Seq2SeqDecodeInput, drop: DropoutContext | undefined): Seq2SeqDecoderPass;

  abstract save(dir: string, extraConfig?: Record<string, unknown>): Promise<void>;

  /** Logits `[batch, targetLength, vocab]` of a whole batch (teacher forcing, no cache), dropout on when training. */
  forward(batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor3D {
    const target = this.checkBatch(batch);
    const drop = options.training ? { seed: options.dropoutSeed ?? Math.floor(Math.random() * 2147483647) } : undefined;
    return tf.tidy(() => {
      const source = { batchSize: batch.batchSize, sourceLength: batch.seqLength, inputIds: batch.inputIds, attentionMask: batch.attentionMask };
      const hidden = this.encoderPass(source, drop);
      const encoder = { batchSize: batch.batchSize, sourceLength: batch.seqLength, hidden, attentionMask: batch.attentionMask };
      return this.decoderPass({ batchSize: batch.batchSize, seqLength: target.length, decoderInputIds: target.ids, ...(target.mask ? { decoderAttentionMask: target.mask } : {}), encoder }, drop).logits;
    });
  }

  /** Mean cross-entropy over labels != -100 (MarianMTModel's loss: no shift, the decoder inputs are already shifted). */
  loss(logits: tf.Tensor, batch: ModelBatch): tf.Scalar {
    if (batch.labels === undefined) throw new BertModelError('BATCH_VALUE', `${this.architecture}.loss: batch has no labels`);
    return crossEntropy(logits, batch.labels);
  }

  /** The encoder's hidden states of a batch of sources (evaluation mode), kept for the decoder steps. */
  encode(input: SourceInput): EncoderOutput {
    this.checkIds(input.inputIds, input.batchSize * input.sourceLength, input.attentionMask, 'inputIds', input.sourceLength, input.batchSize);
    const hidden = tf.tidy(() => this.encoderPass(input, undefined));
    return { batchSize: input.batchSize, sourceLength: input.sourceLength, hidden, attentionMask: input.attentionMask };
  }

  /**
   * One evaluation-mode decoder pass over new tokens after `input.cache`: logits `[batch, seq, vocab]`
   * and the grown cache (self-attention entries extended, cross-attention entries computed on the first
   * pass, then carried). The input cache is left as it is, except that its cross entries are shared
   * with the result (dispose the old one with `keepCross`).
   */
  decode(input: Seq2SeqDecodeInput): { logits: tf.Tensor3D; cache: Seq2SeqCache } {
    const past = input.cache?.length ?? 0;
    if (past + input.seqLength > this.positionLimit.length) {
      throw new BertModelError('BATCH_SHAPE', `cached ${past} + new ${input.seqLength} target positions exceed ${this.positionLimit.source}`);
    }
    this.checkIds(input.decoderInputIds, input.batchSize * input.seqLength, undefined, 'decoderInputIds', input.seqLength, input.batchSize);
    const out = tf.tidy(() => {
      const pass = this.decoderPass(input, undefined);
      return { logits: pass.logits, self: pass.self.map(({ key, value }) => ({ key, value })), cross: pass.cross.map(({ key, value }) => ({ key, value })) };
    }) as unknown as Seq2SeqDecoderPass;
    return { logits: out.logits, cache: { length: past + input.seqLength, self: out.self, cross: out.cross } };
  }

  /** Weight decay on matrices only: not biases or LayerNorm weights (transformers' default grouping). */
  isDecayed(name: string): boolean {
    return !name.endsWith('.bias') && !/layer_norm\.weight$/.test(name);
  }

  dispose(): void {
    for (const variable of this.parameters.values()) variable.dispose();
    for (const buffer of this.buffers.values()) buffer.dispose();
  }

  protected readonly lookup: ParameterLookup = (name) => {
    const tensor = this.parameters.get(name) ?? this.buffers.get(name);
    if (tensor === undefined) throw new BertModelError('UNKNOWN_PARAMETER', `${this.architecture} has no parameter "${name}"`, name);
    return tensor;
  };

  /** The decoder side of a training batch: its ids and mask, checked against the contract. */
  private checkBatch(batch: ModelBatch): { length: number; ids: Int32Array; mask?: Int32Array } {
    const { batchSize, seqLength } = batch;
    this.checkIds(batch.inputIds, batchSize * seqLength, batch.attentionMask, 'inputIds', seqLength, batchSize);
    const length = batch.targetLength;
    if (length === undefined || batch.decoderInputIds === undefined) {
      throw new BertModelError('BATCH_SHAPE', `${this.architecture} needs a seq2seq batch: targetLength and decoderInputIds (labels shifted right, decoder_start_token_id first) are missing`);
    }
    this.checkIds(batch.decoderInputIds, batchSize * length, batch.decoderAttentionMask, 'decoderInputIds', length, batchSize);
    if (batch.labels !== undefined && batch.labels.length !== batchSize * length) {
      throw new BertModelError('BATCH_SHAPE', `batch.labels has ${batch.labels.length} values, expected batchSize ${batchSize} x targetLength ${length} = ${batchSize * length}`);
    }
    return { length, ids: batch.decoderInputIds, ...(batch.decoderAttentionMask ? { mask: batch.decoderAttentionMask } : {}) };
  }

  private checkIds(ids: Int32Array, size: number, mask: Int32Array | undefined, field: string, length: number, batchSize: number): void {
    const sizes = `batchSize ${batchSize} x ${field === 'inputIds' ? 'seqLength' : 'targetLength'} ${length} = ${size}`;
    if (ids.length !== size) throw new BertModelError('BATCH_SHAPE', `batch.${field} has ${ids.length} values, expected ${sizes}`);
    const maskField = field === 'inputIds' ? 'attentionMask' : 'decoderAttentionMask';
    if (mask !== undefined && mask.length !== size) throw new BertModelError('BATCH_SHAPE', `batch.${maskField} has ${mask.length} values, expected ${sizes}`);
    if (length > this.positionLimit.length) throw new BertModelError('BATCH_SHAPE', `${field === 'inputIds' ? 'seqLength' : 'targetLength'} ${length} exceeds ${this.positionLimit.source}`);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= this.vocabSize) throw new BertModelError('BATCH_VALUE', `batch.${field}[${i}] = ${ids[i]} is outside [0, ${this.vocabSize}) (vocab_size)`);
    }
  }
}
