import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeTranslationPairs,
  pairSetName,
  readParallelFiles,
  readTranslationJsonl,
  targetTextEncoderOf,
  textEncoderOf,
  type Seq2SeqBatch,
  type Seq2SeqDataset,
  type TranslationPairSet,
} from '@tunefleet/data';
import { EncoderDecoderModel, generateSeq2Seq, loadPretrained, readGenerationConfig, type GenerationConfig } from '@tunefleet/model';
import type { PretrainedTokenizer } from '@tunefleet/tokenizer';
import {
  argmaxLogits,
  evaluateGenerated,
  translationComputeMetrics,
  type GenerationMetrics,
  type TrainingArguments,
  type TranslationMetrics,
  type TranslationMetricsOptions,
} from '@tunefleet/trainer';
import { flagOf } from './field-flags.ts';
import { RunArgumentsSchema, type RunArguments } from './run-arguments.ts';
import { RunSpecError, type RunSpecIssue } from './run-spec-error.ts';
import type { RunInputs } from './run-inputs.ts';

/** Where a split's pairs come from: line-aligned files, or one run_translation JSONL file. */
export type TranslationSource =
  | { readonly kind: 'aligned'; readonly sourceFile: string; readonly targetFile: string }
  | { readonly kind: 'jsonl'; readonly file: string; readonly sourceLang: string; readonly targetLang: string };

/** `generate(batch)` gives one id sequence per row (MarianMTModel.generate with the run's settings). */
export type GenerateTranslations = (batch: Seq2SeqBatch) => readonly ArrayLike<number>[];

/** RunInputs of a translation run, with Seq2SeqTrainer's predict_with_generate evaluation. */
export interface TranslationRunInputs extends RunInputs {
  readonly trainSet: Seq2SeqDataset;
  readonly evalSet?: Seq2SeqDataset;
  /** bleu, chrf, gen_len of `generate`'s output over the evaluation set, in order, `batchSize` pairs a call. */
  readonly evaluateGenerated?: (generate: GenerateTranslations, batchSize: number) => TranslationMetrics;
}

const issue = (field: keyof RunArguments, message: string): RunSpecIssue => ({
  field,
  flag: `--${flagOf(field, RunArgumentsSchema.shape[field])}`,
  message,
});

/**
 * The translation fields that only make sense together: aligned files come in pairs, and a JSONL
 * file needs source_lang and target_lang to pick its texts. Empty for other tasks.
 */
export function translationIssues(run: RunArguments): RunSpecIssue[] {
  if (run.task !== 'translation') return [];
  const issues: RunSpecIssue[] = [];
  const isTrainJsonl = run.target_file === undefined;
  if (run.source_file !== undefined && run.target_file === undefined) {
    issues.push(issue('target_file', `is required with --source-file (the targets aligned with ${run.source_file})`));
  }
  if ((run.validation_source_file === undefined) !== (run.validation_target_file === undefined)) {
    const missing = run.validation_source_file === undefined ? 'validation_source_file' : 'validation_target_file';
    issues.push(issue(missing, 'is required: aligned validation files come in pairs (--validation-source-file and --validation-target-file)'));
  }
  if (run.validation_file && run.validation_source_file !== undefined) {
    issues.push(issue('validation_file', 'give evaluation data once: --validation-file (JSONL) or --validation-source-file/--validation-target-file'));
  }
  const readsJsonl = (isTrainJsonl && run.source_file === undefined) || Boolean(run.validation_file);
  if (readsJsonl) {
    for (const field of ['source_lang', 'target_lang'] as const) {
      if (run[field] === undefined) {
        issues.push(issue(field, 'is required to read translation JSONL ({"translation": {"<lang>": ...}}); e.g. --source-lang en --target-lang de'));
      }
    }
  }
  return issues;
}

/** The training and evaluation sources of a translation run (checked by translationIssues first). */
export function translationSources(run: RunArguments): { train: TranslationSource; validation?: TranslationSource } {
  const issues = translationIssues(run);
  if (issues.length > 0) throw new RunSpecError('translation run', issues);
  const jsonl = (file: string): TranslationSource => ({ kind: 'jsonl', file, sourceLang: run.source_lang!, targetLang: run.target_lang! });
  const train: TranslationSource =
    run.target_file !== undefined ? { kind: 'aligned', sourceFile: run.source_file ?? run.train_file, targetFile: run.target_file } : jsonl(run.train_file);
  const validation: TranslationSource | undefined =
    run.validation_source_file !== undefined && run.validation_target_file !== undefined
      ? { kind: 'aligned', sourceFile: run.validation_source_file, targetFile: run.validation_target_file }
      : run.validation_file
        ? jsonl(run.validation_file)
        : undefined;
  return validation ? { train, validation } : { train };
}

/**
 * Translation (run_translation + Seq2SeqTrainer): pairs from aligned files or JSONL, sources
 * prefixed and truncated to max_source_length, targets tokenized (the tokenizer's target side) and
 * truncated to max_target_length or refused (on_long_target), truncation counted in the log;
 * labels and shifted decoder inputs from the model's decoder_start_token_id. The model comes from
 * the family registry with task `translation` (a family without that head fails naming its tasks).
 * Evaluation scores the teacher-forced argmax (`computeMetrics`) or, with predict_with_generate,
 * generated translations (`evaluateGenerated`).
 */
export async function loadTranslationInputs(run: RunArguments, tokenizer: PretrainedTokenizer, seed: number, log: (line: string) => void): Promise<TranslationRunInputs> {
  const sources = translationSources(run);
  const decoderStartTokenId = (await readDecoderStartTokenId(run.model_name_or_path)) ?? tokenizer.padTokenId;
  const read = (source: TranslationSource) => readTranslationSet(source, tokenizer, { ...run, decoderStartTokenId }, log);
  const trainSet = await read(sources.train);
  const evalSet = sources.validation ? await read(sources.validation) : undefined;
  const { model, config } = await loadPretrained(run.model_name_or_path, { task: 'translation', seed, log });
  const evaluation = await translationEvaluation(model, tokenizer, run.model_name_or_path, config, seed);
  const metricsOptions = translationMetricsOptions(tokenizer);
  const inputs: TranslationRunInputs = {
    model,
    tokenizer,
    trainSet,
    ...evaluation,
    ...(evalSet
      ? {
          evalSet,
          evaluateGenerated: (generate: GenerateTranslations, batchSize: number) =>
            evaluateGenerated(evalSet.batches({ epoch: 0, batchSize, shuffle: false, seed, dropLast: false }) as Iterable<Seq2SeqBatch>, generate, metricsOptions),
        }
      : {}),
  };
  return inputs;
}

/** The fields of a run that reading one split of translation pairs needs. */
export type TranslationReadOptions = Pick<RunArguments, 'max_source_length' | 'max_target_length' | 'on_long_target' | 'source_prefix' | 'skip_bad_rows'> & {
  readonly decoderStartTokenId: number;
};

/**
 * One split of pairs, encoded: sources prefixed and truncated to max_source_length, targets through
 * the tokenizer's target side (Marian's target.spm) and truncated or refused (on_long_target), the
 * truncation counted in the log.
 */
export async function readTranslationSet(source: TranslationSource, tokenizer: PretrainedTokenizer, options: TranslationReadOptions, log: (line: string) => void): Promise<Seq2SeqDataset> {
  const set = await readPairs(source, options.skip_bad_rows);
  const name = pairSetName(set);
  if (set.badRows.length > 0) log(`${name}: skipped ${set.badRows.length} bad rows`);
  // The target side where the tokenizer has one (Marian's target.spm; T5's is its one model).
  const encodeTarget = 'encodeTargetBatch' in tokenizer ? targetTextEncoderOf(tokenizer) : undefined;
  const encoded = encodeTranslationPairs(set, textEncoderOf(tokenizer), {
    maxSourceLength: options.max_source_length,
    maxTargetLength: options.max_target_length,
    onLongTarget: options.on_long_target,
    ...(options.source_prefix === undefined ? {} : { sourcePrefix: options.source_prefix }),
    ...(encodeTarget === undefined ? {} : { encodeTarget }),
    padId: tokenizer.padTokenId,
    decoderStartTokenId: options.decoderStartTokenId,
  });
  const truncated = [
    encoded.truncatedSources > 0 ? `${encoded.truncatedSources} sources truncated to max_source_length ${options.max_source_length}` : '',
    encoded.truncatedTargets > 0 ? `${encoded.truncatedTargets} targets truncated to max_target_length ${options.max_target_length}` : '',
  ].filter((part) => part !== '');
  log(`${name}: ${set.pairs.length} pairs${truncated.length > 0 ? `; ${truncated.join(', ')}` : ''}`);
  return encoded.dataset;
}

function translationMetricsOptions(tokenizer: PretrainedTokenizer): TranslationMetricsOptions {
  return { decode: (ids: number[]) => tokenizer.decode(ids, { skipSpecialTokens: true }), padTokenId: tokenizer.padTokenId };
}

/**
 * A translation model's evaluation: BLEU / chrF / gen_len of the teacher-forced argmax (each batch
 * reduced to its argmax ids) or, with predict_with_generate, of translations generated with the
 * model's generation_config.json (Seq2SeqTrainer's), for `tunefleet train` and `evaluate`.
 */
export async function translationEvaluation(
  model: unknown,
  tokenizer: PretrainedTokenizer,
  modelDir: string,
  config: unknown,
  seed: number,
): Promise<Pick<RunInputs, 'computeMetrics' | 'preprocessLogitsForMetrics' | 'generationMetrics'>> {
  const metricsOptions = translationMetricsOptions(tokenizer);
  const generation = await readGenerationConfig(modelDir, config as Parameters<typeof readGenerationConfig>[1]);
  const generationMetrics: GenerationMetrics = (dataset, batchSize, args) => ({
    ...evaluateGenerated(dataset.batches({ epoch: 0, batchSize, shuffle: false, seed, dropLast: false }) as Iterable<Seq2SeqBatch>, generatorOf(model, generation, args), metricsOptions),
  });
  return { computeMetrics: translationComputeMetrics(metricsOptions), preprocessLogitsForMetrics: argmaxLogits(), generationMetrics };
}

/** config.json's decoder_start_token_id (Marian: its pad id), or undefined without one. */
export async function readDecoderStartTokenId(modelDir: string): Promise<number | undefined> {
  try {
    const config = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8')) as { decoder_start_token_id?: unknown };
    return typeof config.decoder_start_token_id === 'number' ? config.decoder_start_token_id : undefined;
  } catch {
    return undefined; // no or unreadable config: loadPretrained reports it with the file's name
  }
}

function readPairs(source: TranslationSource, skipBadRows: boolean): Promise<TranslationPairSet> {
  return source.kind === 'aligned'
    ? readParallelFiles(source.sourceFile, source.targetFile, { skipBadRows })
    : readTranslationJsonl(source.file, { sourceLang: source.sourceLang, targetLang: source.targetLang, skipBadRows });
}


/**
 * One generate call per evaluation batch: its sources without their padding, the model's
 * generation_config.json under generation_max_length / generation_num_beams (Seq2SeqTrainer's).
 */
function generatorOf(model: unknown, base: GenerationConfig, args: TrainingArguments): GenerateTranslations {
  if (!(model instanceof EncoderDecoderModel)) throw new RunSpecError('predict_with_generate', [{ field: 'task', flag: '--task', message: 'predict_with_generate needs an encoder-decoder model' }]);
  const config: Partial<GenerationConfig> = {
    ...(args.generation_num_beams === null ? {} : { num_beams: args.generation_num_beams }),
    ...(args.generation_max_length === null ? {} : { max_length: args.generation_max_length, max_new_tokens: null }),
  };
  return (batch) => {
    const sources = Array.from({ length: batch.batchSize }, (_, row) => {
      const ids: number[] = [];
      for (let t = 0; t < batch.seqLength; t++) if (batch.attentionMask[row * batch.seqLength + t] === 1) ids.push(batch.inputIds[row * batch.seqLength + t]!);
      return ids;
    });
    return generateSeq2Seq(model, sources, { base, config }).sequences;
  };
}
