import { parseTrainingArguments, Trainer } from '@tunefleet/trainer';
import { loadPretrained } from '@tunefleet/model';
import { readDecoderStartTokenId, readTranslationSet, translationEvaluation, type TranslationSource } from '@tunefleet/run';
import { loadTokenizer } from '@tunefleet/tokenizer';
import { CliConfigError } from './cli-config-error.ts';
import type { InferenceOptions } from './inference-options.ts';
import { runTranslate } from './commands/translate.ts';

/**
 * `evaluate` on a translation model: --file with --target-file (aligned lines), or --file as
 * run_translation's JSONL with --source-lang/--target-lang. Reports the teacher-forced eval_loss and
 * BLEU / chrF / gen_len of generated translations (the model's generation_config.json), as
 * Seq2SeqTrainer's evaluate with predict_with_generate.
 */
export async function evaluateTranslation(options: InferenceOptions & { readonly file: string; readonly batchSize: number }): Promise<Record<string, number>> {
  const source = translationSourceOf(options);
  const dir = options.model_name_or_path;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const tokenizer = await loadTokenizer(dir, { task: 'translation' });
  const decoderStartTokenId = (await readDecoderStartTokenId(dir)) ?? tokenizer.padTokenId;
  const dataset = await readTranslationSet(source, tokenizer, { ...options, on_long_target: 'truncate', skip_bad_rows: false, decoderStartTokenId }, log);
  const { model, config } = await loadPretrained(dir, { task: 'translation', log });
  try {
    const evaluation = await translationEvaluation(model, tokenizer, dir, config, 0);
    const args = parseTrainingArguments(
      {
        output_dir: '.',
        per_device_eval_batch_size: options.batchSize,
        predict_with_generate: true,
        generation_max_length: options.generation_max_length,
        generation_num_beams: options.generation_num_beams,
      },
      'evaluate',
    );
    const { metrics } = await new Trainer({ model, args, ...evaluation }).predict(dataset, 'eval');
    return metrics;
  } finally {
    model.dispose();
  }
}

/** `predict` on a translation model: `translate` with predict's input, output, batch size and source fields. */
export function predictTranslation(options: InferenceOptions & { readonly input: string; readonly output: string; readonly batchSize: number }): Promise<number> {
  return runTranslate({
    model: options.model_name_or_path,
    input: options.input,
    output: options.output,
    batchSize: options.batchSize,
    maxSourceLength: options.max_source_length,
    ...(options.generation_num_beams === null ? {} : { numBeams: options.generation_num_beams }),
    // generation_max_length counts the decoder start token, as transformers' max_length does.
    ...(options.generation_max_length === null ? {} : { maxNewTokens: Math.max(1, options.generation_max_length - 1) }),
    ...(options.source_prefix === undefined ? {} : { sourcePrefix: options.source_prefix }),
    backend: options.backend,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  });
}

function translationSourceOf(options: InferenceOptions & { readonly file: string }): TranslationSource {
  if (options.target_file !== undefined) return { kind: 'aligned', sourceFile: options.file, targetFile: options.target_file };
  const missing = (['source_lang', 'target_lang'] as const).filter((field) => options[field] === undefined).map((field) => `--${field.replace('_', '-')}`);
  if (missing.length > 0) {
    throw new CliConfigError(`evaluate on a translation model: give --target-file (reference translations aligned with ${options.file}), or ${missing.join(' and ')} to read ${options.file} as translation JSONL`);
  }
  return { kind: 'jsonl', file: options.file, sourceLang: options.source_lang!, targetLang: options.target_lang! };
}
