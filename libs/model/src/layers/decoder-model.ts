import * as tf from '@tensorflow/tfjs-core';
import { BertModelError } from '../bert/bert-model-error.ts';
import type { DropoutContext } from '../bert/ops.ts';
import type { ModelBatch, TrainableModel } from '../trainable.ts';
import type { KeyValueCache, LayerKeyValue } from './causal-attention.ts';
import { causalLmLoss } from './causal-lm-loss.ts';
import { sameShape } from './encoder-model.ts';
import { checkpointed } from './gradient-checkpoint.ts';
import type { LinearAdapter } from './linear-adapter.ts';
import type { ParameterLookup } from './parameter-lookup.ts';

/** One decoder pass: `seqLength` new tokens per row after the `cache`'s positions. */
export interface DecodeInput {
  readonly batchSize: number;
  readonly seqLength: number;
  readonly inputIds: Int32Array; // [batch, seq]
  /** 1 = real token, 0 = padding, over ALL positions (cached + new): `[batch, past + seq]`; all real when absent. */
  readonly attentionMask?: Int32Array;
  readonly cache?: KeyValueCache;
}

/** What a decoder family computes for one pass; `layers` are the cache entries after it. */
export interface DecoderPass {
  readonly logits: tf.Tensor3D; // [batch, seq, vocab]
  readonly layers: LayerKeyValue[];
}

/**
 * What the causal LM families (GPT-2, Llama / Qwen2) share: parameters as tf.Variables keyed by HF
 * names in HF order, the shifted next-token loss, weight-decay grouping, dropout seeding, and the
 * key/value-cached `decode` that generation steps with. A family adds its decoder pass and save.
 */
export abstract class DecoderModel<C> implements TrainableModel {
  readonly task = 'causal-lm' as const;
  readonly parameters: ReadonlyMap<string, tf.Variable>;
  abstract readonly vocabSize: number;
  /** Longest context (cached + new positions), and the config field that says so; none for RoPE models. */
  abstract readonly contextLimit: { readonly length: number; readonly source: string } | undefined;
  /** Adapters on the linear modules (LoRA, `src/lora/`): each adapted module's output gets the adapter's term. */
  adapter: LinearAdapter | undefined = undefined;
  /**
   * transformers' gradient_checkpointing_enable(): in a training forward, each decoder layer keeps
   * only its input and recomputes its activations in backward (less memory, one more layer forward
   * per layer). Evaluation and `decode` are unchanged.
   */
  gradientCheckpointing = false;

  constructor(
    readonly config: C,
    /** The Hugging Face class, as config.json's `architectures` and messages name it. */
    readonly architecture: string,
    shapes: ReadonlyMap<string, readonly number[]>,
    initial: ReadonlyMap<string, tf.Tensor>,
  ) {
    const parameters = new Map<string, tf.Variable>();
    for (const [name, shape] of shapes) {
      const value = initial.get(name);
      if (value === undefined) throw new BertModelError('MISSING_WEIGHT', `no initial value for parameter "${name}"`, name);
      if (!sameShape(value.shape, shape)) {
        throw new BertModelError('SHAPE_MISMATCH', `parameter "${name}" expects [${shape.join(', ')}], got [${value.shape.join(', ')}]`, name);
      }
      parameters.set(name, tf.variable(value, true));
    }
    this.parameters = parameters;
  }

  /** The family's decoder: logits of every new position, and the cache entries after this pass. */
  protected abstract pass(input: DecodeInput, drop: DropoutContext | undefined): DecoderPass;

  abstract save(dir: string, extraConfig?: Record<string, unknown>): Promise<void>;

  /** Logits `[batch, seq, vocab]` of a whole batch (no cache), dropout on when training. */
  forward(batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor3D {
    const input = { batchSize: batch.batchSize, seqLength: batch.seqLength, inputIds: batch.inputIds, attentionMask: batch.attentionMask };
    this.checkInput(input);
    const drop = options.training ? { seed: options.dropoutSeed ?? Math.floor(Math.random() * 2147483647) } : undefined;
    return tf.tidy(() => this.pass(input, drop).logits);
  }

  /**
   * One evaluation-mode pass over new tokens after `input.cache`: logits `[batch, seq, vocab]` and
   * the grown cache. The input cache is left as it is (the caller disposes it, or keeps it to branch).
   */
  decode(input: DecodeInput): { logits: tf.Tensor3D; cache: KeyValueCache } {
    this.checkInput(input);
    const past = input.cache?.length ?? 0;
    const { logits, layers } = tf.tidy(() => {
      const out = this.pass(input, undefined);
      return { logits: out.logits, layers: out.layers.map(({ key, value }) => ({ key, value })) };
    }) as unknown as DecoderPass;
    return { logits, cache: { length: past + input.seqLength, layers } };
  }

  loss(logits: tf.Tensor, batch: ModelBatch): tf.Scalar {
    return causalLmLoss(logits, batch);
  }

  /** Weight decay on matrices only: not biases, LayerNorm or RMSNorm weights (transformers' default grouping). */
  isDecayed(name: string): boolean {
    return !/bias$/.test(name) && !/(^|\.)(ln_\d+|ln_f|norm|input_layernorm|post_attention_layernorm)\.weight$/.test(name);
  }

  dispose(): void {
    for (const variable of this.parameters.values()) variable.dispose();
  }

  /** Linear module `module`'s `output` for input `x`, with its adapter's term when it has one. */
  protected adapted(module: string, x: tf.Tensor2D, output: tf.Tensor2D, drop: DropoutContext | undefined): tf.Tensor2D {
    return this.adapter === undefined ? output : this.adapter.adapt(module, x, output, drop);
  }

  /**
   * One decoder layer, `body`, on `hidden` `[batch * seq, hidden]`; `prefix` is the layer's
   * parameter prefix (`transformer.h.0.`), `captured` the other tensors the layer reads (mask, rotary
   * tables), handed to `body` as its second argument. In a training pass (`drop` set) with gradient
   * checkpointing on, the layer is recomputed in backward and returns no key/value entry (training
   * uses no cache); its trainable parameters and adapters are what the recomputation differentiates.
   */
  protected decoderLayer(
    prefix: string,
    hidden: tf.Tensor2D,
    drop: DropoutContext | undefined,
    captured: readonly tf.Tensor[],
    body: (hidden: tf.Tensor2D, captured: readonly tf.Tensor[]) => { hidden: tf.Tensor2D; keyValue: LayerKeyValue },
  ): { hidden: tf.Tensor2D; keyValue?: LayerKeyValue } {
    if (!this.gradientCheckpointing || drop === undefined) return body(hidden, captured);
    const weights = [...this.parameters].filter(([name, variable]) => name.startsWith(prefix) && variable.trainable).map(([, variable]) => variable);
    weights.push(...(this.adapter?.variablesUnder(prefix) ?? []));
    return { hidden: checkpointed((x, constants) => body(x, constants).hidden, hidden, captured, weights) };
  }

  protected readonly lookup: ParameterLookup = (name) => {
    const variable = this.parameters.get(name);
    if (variable === undefined) throw new BertModelError('UNKNOWN_PARAMETER', `${this.architecture} has no parameter "${name}"`, name);
    return variable;
  };

  private checkInput(input: DecodeInput): void {
    const { batchSize, seqLength } = input;
    const past = input.cache?.length ?? 0;
    if (input.inputIds.length !== batchSize * seqLength) {
      throw new BertModelError('BATCH_SHAPE', `inputIds has ${input.inputIds.length} values, expected batchSize ${batchSize} x seqLength ${seqLength} = ${batchSize * seqLength}`);
    }
    if (input.attentionMask !== undefined && input.attentionMask.length !== batchSize * (past + seqLength)) {
      const expected = past === 0 ? `batchSize ${batchSize} x seqLength ${seqLength}` : `batchSize ${batchSize} x (cached ${past} + new ${seqLength})`;
      throw new BertModelError('BATCH_SHAPE', `attentionMask has ${input.attentionMask.length} values, expected ${expected}`);
    }
    if (input.cache !== undefined && input.cache.layers[0] !== undefined && input.cache.layers[0].key.shape[0] !== batchSize) {
      throw new BertModelError('BATCH_SHAPE', `the key/value cache holds ${input.cache.layers[0].key.shape[0]} rows, the input ${batchSize}`);
    }
    const limit = this.contextLimit;
    if (limit !== undefined && past + seqLength > limit.length) {
      throw new BertModelError('BATCH_SHAPE', `${past > 0 ? `cached ${past} + new ${seqLength} positions` : `seqLength ${seqLength}`} exceeds ${limit.source}`);
    }
    for (let i = 0; i < input.inputIds.length; i++) {
      const id = input.inputIds[i];
      if (id < 0 || id >= this.vocabSize) throw new BertModelError('BATCH_VALUE', `batch.inputIds[${i}] = ${id} is outside [0, ${this.vocabSize}) (vocab_size)`);
    }
  }
}
