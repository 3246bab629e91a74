import type * as tf from '@tensorflow/tfjs-core';

/**
 * A batch as the model consumes it: plain typed arrays, row-major `[batchSize, seqLength]`.
 * `libs/data` produces the same shape (structurally) without importing this lib.
 */
export interface ModelBatch {
  readonly batchSize: number;
  readonly seqLength: number;
  readonly inputIds: Int32Array; // [batch, seq]
  readonly attentionMask: Int32Array; // [batch, seq], 1 = real token, 0 = padding
  readonly tokenTypeIds: Int32Array; // [batch, seq]
  /**
   * Sequence classification: `[batch]` class ids. Token classification / masked LM: `[batch, seq]`
   * ids, with -100 where no loss is taken (Hugging Face's ignore_index).
   */
  readonly labels?: Int32Array;
  /**
   * Seq2seq (task `translation`): `inputIds`/`attentionMask` are the source `[batch, seqLength]`;
   * `labels` are the target `[batch, targetLength]` with -100 on padding, and the decoder reads
   * `decoderInputIds` `[batch, targetLength]`: the labels shifted right, decoder_start_token_id first,
   * -100 replaced by pad (DataCollatorForSeq2Seq + `shift_tokens_right`).
   */
  readonly targetLength?: number;
  readonly decoderInputIds?: Int32Array; // [batch, targetLength]
  /** 1 = real target token, 0 = padding; all real (the causal mask alone) when absent. */
  readonly decoderAttentionMask?: Int32Array; // [batch, targetLength]
}

/** The heads of the encoder families (BERT, DistilBERT, RoBERTa / XLM-R). */
export type ModelTask = 'sequence-classification' | 'token-classification' | 'masked-lm';
/** Next-token prediction of the decoder-only families (GPT-2, Llama / Qwen2): `*ForCausalLM`, `GPT2LMHeadModel`. */
export type CausalTask = 'causal-lm';
/** Sequence-to-sequence generation of the encoder-decoder families (Marian): `MarianMTModel`. */
export type Seq2SeqTask = 'translation';
/** Every task a TrainableModel can have. */
export type AnyModelTask = ModelTask | CausalTask | Seq2SeqTask;

/** What the Trainer needs from a model, and nothing more. */
export interface TrainableModel {
  readonly task: AnyModelTask;
  /** Trainable parameters keyed by their Hugging Face checkpoint names, in a fixed order. */
  readonly parameters: ReadonlyMap<string, tf.Variable>;
  /**
   * Logits: `[batch, numLabels]` for sequence classification, `[batch, seq, numLabels]` for token
   * classification, `[batch, seq, vocab]` for masked and causal LM, `[batch, targetLength, vocab]`
   * for translation. `training` turns dropout on;
   * `dropoutSeed` makes dropout masks reproducible.
   */
  forward(batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor;
  /**
   * Mean cross-entropy over the labelled positions (ignore_index -100), as Hugging Face computes it.
   * Causal LM: labels are the input ids, shifted inside the loss (position t predicts label t + 1).
   * Translation: no shift (the decoder inputs are already shifted right), mean over labels != -100.
   */
  loss(logits: tf.Tensor, batch: ModelBatch): tf.Scalar;
  /** Whether a parameter takes weight decay (false for biases and LayerNorm weights). */
  isDecayed(name: string): boolean;
  /** Writes config.json and model.safetensors (F32) into `dir`. */
  save(dir: string, extraConfig?: Record<string, unknown>): Promise<void>;
  dispose(): void;
}
