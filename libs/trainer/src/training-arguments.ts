import { z } from 'zod';
import { TrainingArgumentsError, type ArgumentIssue } from './trainer-error.ts';

const strategy = z.enum(['no', 'steps', 'epoch']);
const positiveInt = z.number().int().positive();

/**
 * transformers.TrainingArguments, the subset tunefleet implements. Names, meanings and defaults are
 * Hugging Face's so a config written for `transformers` reads the same here. Unknown keys are errors
 * (HF's dataclass parser rejects them too) so a typo never silently falls back to a default.
 */
export const TrainingArgumentsSchema = z.strictObject({
  output_dir: z.string().min(1),
  // HF refuses nothing here, but we only overwrite when asked so a rerun cannot clobber a finished model.
  overwrite_output_dir: z.boolean().default(false),
  // 5e-5: HF's default, the middle of BERT's recommended fine-tuning range (2e-5..5e-5).
  learning_rate: z.number().nonnegative().default(5e-5),
  weight_decay: z.number().nonnegative().default(0),
  adam_beta1: z.number().min(0).lt(1).default(0.9),
  adam_beta2: z.number().min(0).lt(1).default(0.999),
  adam_epsilon: z.number().nonnegative().default(1e-8),
  // 1.0: HF's default; 0 turns clipping off.
  max_grad_norm: z.number().nonnegative().default(1.0),
  // Fractional values are allowed (HF): 2.5 epochs stops half-way through the third.
  num_train_epochs: z.number().positive().default(3),
  // -1 means "derive from num_train_epochs"; a positive value overrides the epoch count.
  max_steps: z.number().int().refine((v) => v === -1 || v > 0, 'must be -1 or a positive integer').default(-1),
  lr_scheduler_type: z.enum(['linear', 'constant', 'constant_with_warmup', 'cosine']).default('linear'),
  warmup_ratio: z.number().min(0).max(1).default(0),
  // When > 0 it wins over warmup_ratio (HF's rule).
  warmup_steps: z.number().int().nonnegative().default(0),
  per_device_train_batch_size: positiveInt.default(8),
  per_device_eval_batch_size: positiveInt.default(8),
  gradient_accumulation_steps: positiveInt.default(1),
  eval_strategy: strategy.default('no'),
  // null: use logging_steps, as HF does.
  eval_steps: positiveInt.nullable().default(null),
  save_strategy: strategy.default('steps'),
  save_steps: positiveInt.default(500),
  logging_strategy: strategy.default('steps'),
  logging_steps: positiveInt.default(500),
  logging_first_step: z.boolean().default(false),
  // null keeps every checkpoint.
  save_total_limit: positiveInt.nullable().default(null),
  load_best_model_at_end: z.boolean().default(false),
  // null: 'loss' when load_best_model_at_end (HF); a bare name is prefixed with 'eval_' when compared.
  metric_for_best_model: z.string().min(1).nullable().default(null),
  // null: false for loss metrics, true otherwise (HF).
  greater_is_better: z.boolean().nullable().default(null),
  // transformers.EarlyStoppingCallback's arguments, flattened in: null turns early stopping off.
  early_stopping_patience: positiveInt.nullable().default(null),
  early_stopping_threshold: z.number().nonnegative().default(0),
  seed: z.number().int().nonnegative().default(42),
  dataloader_drop_last: z.boolean().default(false),
  // Batches of examples of similar length (less padding; data-parallel ranks finish a step together).
  group_by_length: z.boolean().default(false),
  disable_tqdm: z.boolean().default(false),
  // A checkpoint directory, or true for the newest complete checkpoint-<step> in output_dir. On the
  // command line and in YAML "true" and "latest" mean true, "false" false (not directories).
  resume_from_checkpoint: z
    .preprocess(
      (value) => (value === 'true' || value === 'latest' ? true : value === 'false' ? false : value),
      z.union([z.string().min(1), z.boolean()]).nullable(),
    )
    .default(null)
    .describe('A checkpoint directory, or true|latest for the newest complete checkpoint in output_dir'),
  // tunefleet's own: an optimizer step whose loss or gradients are not finite (NaN, Inf) is skipped
  // (weights, optimizer moments untouched) and counted; this many in a row are tolerated and the
  // next fails the run naming the step. 3: a rare overflowing batch is survivable, a diverged run
  // (or a poisoned gradient) stops within a few steps instead of training through NaN.
  max_nonfinite_steps: z.number().int().nonnegative().default(3),
  // HF's bf16 mixed precision (torch.autocast on the CPU): the matrix products of training and
  // evaluation take bf16 inputs and accumulate in float32; weights, optimizer state, softmax,
  // LayerNorm and the loss stay float32. Needs the native backend. Off by default, as in HF.
  bf16: z.boolean().default(false).describe('bf16 mixed precision: matrix products in bf16 with float32 accumulation (native backend)'),
  // HF's bf16_full_eval: evaluation and prediction in bf16 even when training is float32.
  bf16_full_eval: z.boolean().default(false).describe('Evaluate and predict with bf16 matrix products'),
  // tunefleet's own (HF gets it from the model's dtype at save_pretrained): the element type of the
  // weights in checkpoints and the final model. fp32 by default: the weights train in float32 and a
  // float32 file loses nothing. bf16/f16 halve the files; the optimizer state stays float32.
  save_dtype: z.enum(['fp32', 'bf16', 'f16']).default('fp32').describe('Weights dtype of checkpoints and the saved model: fp32, bf16 or f16 (optimizer state stays fp32)'),
  // HF's gradient_checkpointing: each decoder layer's activations are recomputed in backward
  // instead of kept (less memory, about one more forward per step). Off by default, as in HF.
  gradient_checkpointing: z.boolean().default(false).describe('Recompute each decoder layer in backward instead of keeping its activations (less memory, slower steps; GPT-2, Llama, Qwen2)'),
  // Seq2SeqTrainingArguments (translation, issue 14), HF's names and defaults: evaluation scores the
  // teacher-forced argmax unless predict_with_generate; null lengths / beams: the model's
  // generation_config decides (max_length, num_beams), as in HF.
  predict_with_generate: z.boolean().default(false).describe('Seq2seq: evaluate and predict by generating (BLEU, chrF and gen_len of generated translations)'),
  generation_max_length: z.number().int().min(1).nullable().default(null).describe("Seq2seq with predict_with_generate: max_length of generated sequences (default: the model's generation config)"),
  generation_num_beams: z.number().int().min(1).nullable().default(null).describe("Seq2seq with predict_with_generate: beams of beam search, 1 = greedy (default: the model's generation config)"),
});

type ParsedArguments = z.output<typeof TrainingArgumentsSchema>;

/** Parsed, defaulted and resolved arguments; frozen. `eval_steps` is never null after resolution. */
export type TrainingArguments = Readonly<Omit<ParsedArguments, 'eval_steps'> & { eval_steps: number }>;

export type TrainingArgumentsInput = z.input<typeof TrainingArgumentsSchema>;

function isLossMetric(metric: string): boolean {
  return metric === 'loss' || metric === 'eval_loss';
}

/** HF's __post_init__ consistency rules, applied to already well-typed fields. */
function consistencyIssues(args: TrainingArguments): ArgumentIssue[] {
  const issues: ArgumentIssue[] = [];
  if (args.load_best_model_at_end) {
    if (args.eval_strategy !== args.save_strategy) {
      issues.push({
        field: 'load_best_model_at_end',
        message:
          `requires save_strategy to match eval_strategy, got eval_strategy='${args.eval_strategy}' ` +
          `and save_strategy='${args.save_strategy}'`,
      });
    } else if (args.eval_strategy === 'no') {
      issues.push({ field: 'load_best_model_at_end', message: "requires eval_strategy other than 'no'" });
    } else if (args.eval_strategy === 'steps' && args.save_steps % args.eval_steps !== 0) {
      issues.push({
        field: 'save_steps',
        message: `must be a round multiple of eval_steps (${args.eval_steps}) when load_best_model_at_end, got ${args.save_steps}`,
      });
    }
  }
  if (args.early_stopping_patience !== null) {
    if (args.eval_strategy === 'no') {
      issues.push({ field: 'early_stopping_patience', message: "requires eval_strategy 'steps' or 'epoch', got 'no'" });
    }
    if (args.metric_for_best_model === null) {
      issues.push({
        field: 'metric_for_best_model',
        message: 'is required for early stopping (set it, or set load_best_model_at_end to default it to loss)',
      });
    }
  }
  return issues;
}

function resolve(parsed: ParsedArguments): TrainingArguments {
  const metric = parsed.metric_for_best_model ?? (parsed.load_best_model_at_end ? 'loss' : null);
  const greaterIsBetter = parsed.greater_is_better ?? (metric === null ? null : !isLossMetric(metric));
  return {
    ...parsed,
    eval_steps: parsed.eval_steps ?? parsed.logging_steps,
    metric_for_best_model: metric,
    greater_is_better: greaterIsBetter,
  };
}

/**
 * Parses training arguments once at the edge. `source` names where they came from (a YAML file, CLI
 * flags) and starts the error message. Throws TrainingArgumentsError listing every invalid field.
 */
export function parseTrainingArguments(input: unknown, source: string): TrainingArguments {
  const result = TrainingArgumentsSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.flatMap((issue): ArgumentIssue[] => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({ field: key, message: 'is not a known training argument' }));
      }
      const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
      const received = issue.path.length > 0 ? describeValue(input, issue.path) : '';
      return [{ field, message: `${issue.message}${received}` }];
    });
    throw new TrainingArgumentsError(source, issues);
  }
  const args = resolve(result.data);
  const issues = consistencyIssues(args);
  if (issues.length > 0) throw new TrainingArgumentsError(source, issues);
  return Object.freeze(args);
}

/** ` (got <value>)` for the value at `path` in a rejected config input, or '' when it is absent. */
export function describeValue(input: unknown, path: readonly PropertyKey[]): string {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return '';
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
}

/** training_args.json: the resolved arguments, keys sorted as HF's to_json_string does. */
export function trainingArgumentsToJSON(args: TrainingArguments): Record<string, unknown> {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(args).sort()) sorted[key] = args[key as keyof TrainingArguments];
  return sorted;
}
