import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EncoderDecoderModel, generateSeq2Seq, loadPretrained, readGenerationConfig, type GenerationConfig } from '@tunefleet/model';
import { loadTokenizer } from '@tunefleet/tokenizer';
import { startBackend } from '../backend.ts';
import { CliConfigError } from '../cli-config-error.ts';
import { resolveModelArgument } from '../hub-model.ts';

export interface TranslateOptions {
  readonly model: string;
  readonly input: string;
  readonly output: string;
  readonly batchSize: number;
  readonly numBeams?: number;
  readonly maxNewTokens?: number;
  /** Prepended to every line (T5: "translate English to German: "), as run_translation's source_prefix. */
  readonly sourcePrefix?: string;
  /** Longest source in tokens, special tokens included (run_translation's max_source_length); longer lines are cut and counted. */
  readonly maxSourceLength?: number;
  readonly backend?: string;
  readonly threads?: number;
}

/**
 * `tunefleet translate`: every line of `input` through an encoder-decoder (Marian), in batches, with
 * the model's generation_config.json under the flags (`--num-beams`, `--max-new-tokens`). Plain lines
 * out, one per input line (an empty line stays empty), or with a `.jsonl` output one
 * `{"source", "translation", "finish_reason"}` row per line.
 */
export async function runTranslate(options: TranslateOptions, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<number> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new CliConfigError(`--batch-size: expected a positive integer, got ${options.batchSize}`);
  if (options.numBeams !== undefined && (!Number.isInteger(options.numBeams) || options.numBeams < 1)) throw new CliConfigError(`--num-beams: expected a positive integer, got ${options.numBeams}`);
  if (options.maxNewTokens !== undefined && (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1)) {
    throw new CliConfigError(`--max-new-tokens: expected a positive integer, got ${options.maxNewTokens}`);
  }
  const lines = await readLines(options.input);
  await startBackend({ backend: options.backend, threads: options.threads });
  const dir = await resolveModelArgument(options.model, log);
  const { model, config } = await loadPretrained(dir, { task: 'translation', log });
  try {
    if (!(model instanceof EncoderDecoderModel)) {
      throw new CliConfigError(`--model: ${dir} is a ${config.model_type} model; translate needs an encoder-decoder (marian)`);
    }
    const tokenizer = await loadTokenizer(dir, { task: 'translation' });
    const base = await readGenerationConfig(dir, config as Parameters<typeof readGenerationConfig>[1]);
    const overrides: Partial<GenerationConfig> = {
      ...(options.numBeams === undefined ? {} : { num_beams: options.numBeams }),
      ...(options.maxNewTokens === undefined ? {} : { max_new_tokens: options.maxNewTokens }),
    };
    const maxSource = Math.min(options.maxSourceLength ?? model.positionLimit.length, model.positionLimit.length);
    const translations: { translation: string; finishReason: string }[] = new Array(lines.length);
    const todo = lines.flatMap((line, index) => (line.trim() === '' ? [] : [index]));
    let truncated = 0;
    const startedMs = Date.now();
    for (let start = 0; start < todo.length; start += options.batchSize) {
      const indices = todo.slice(start, start + options.batchSize);
      const sources = indices.map((index) => {
        const text = `${options.sourcePrefix ?? ''}${lines[index]}`;
        const full = tokenizer.encode(text).inputIds;
        if (full.length <= maxSource) return full;
        truncated += 1;
        return tokenizer.encode(text, undefined, { maxLength: maxSource, truncation: true }).inputIds;
      });
      const result = generateSeq2Seq(model, sources, { base, config: overrides });
      indices.forEach((index, row) => {
        translations[index] = { translation: tokenizer.decode(result.sequences[row]!, { skipSpecialTokens: true }).trim(), finishReason: result.finishReasons[row]! };
      });
      log(`translated ${Math.min(start + options.batchSize, todo.length)} of ${todo.length} lines`);
    }
    for (let index = 0; index < lines.length; index++) translations[index] ??= { translation: '', finishReason: 'empty' };
    await writeTranslations(options.output, lines, translations);
    const seconds = (Date.now() - startedMs) / 1000;
    const notes = [todo.length < lines.length ? `${lines.length - todo.length} empty lines left empty` : '', truncated > 0 ? `${truncated} sources cut to ${maxSource} tokens` : ''].filter((note) => note !== '');
    log(`wrote ${lines.length} translations to ${options.output} in ${seconds.toFixed(1)} s${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
    return 0;
  } finally {
    model.dispose();
  }
}

async function readLines(file: string): Promise<string[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new CliConfigError(`--input: cannot read ${file} (${(error as Error).message})`);
  }
  const text = (extname(file) === '.gz' ? gunzipSync(bytes) : bytes).toString('utf8');
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw new CliConfigError(`--input: ${file} has no lines to translate`);
  return lines;
}

async function writeTranslations(file: string, sources: readonly string[], rows: readonly { translation: string; finishReason: string }[]): Promise<void> {
  const isJsonl = extname(file) === '.jsonl';
  const out = createWriteStream(file);
  const failed = once(out, 'error').then(([error]) => {
    throw new CliConfigError(`--output: cannot write ${file} (${(error as Error).message})`);
  });
  rows.forEach((row, index) => {
    out.write(isJsonl ? `${JSON.stringify({ source: sources[index], translation: row.translation, finish_reason: row.finishReason })}\n` : `${row.translation}\n`);
  });
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
}
