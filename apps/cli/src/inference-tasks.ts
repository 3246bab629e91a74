import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { extname, join } from 'node:path';
import {
  averageWindowLogits,
  encodeLongTexts,
  encodeTaggedSentences,
  readConll,
  readExamples,
  readTextLines,
  splitWordsWithOffsets,
  type OffsetWord,
  type TaggedSentence,
} from '@tunefleet/data';
import { readModelConfig, seq2seqModelTypeOfArchitecture, taskOfArchitecture, type ModelTask, type Seq2SeqTask } from '@tunefleet/model';
import { documentMetrics, longTextOptions } from '@tunefleet/run';
import { argmaxLastAxis, entityComputeMetrics, extractEntities } from '@tunefleet/trainer';
import { resolveModelArgument } from './hub-model.ts';
import type { InferenceOptions } from './inference-options.ts';
import { inferenceTrainer, loadModelDirectory } from './inference.ts';

/** The head of a model directory (or hub id), from config.json's architectures; undefined when unknown. */
export async function modelTaskOf(nameOrDir: string): Promise<ModelTask | Seq2SeqTask | undefined> {
  const config = await readModelConfig(join(await resolveModelArgument(nameOrDir), 'config.json'));
  const architecture = config.architectures?.[0];
  if (architecture === undefined) return undefined;
  return taskOfArchitecture(architecture)?.task ?? (seq2seqModelTypeOfArchitecture(architecture) === undefined ? undefined : 'translation');
}

const CONLL_EXTENSIONS = new Set(['.conll', '.conllu', '.iob', '.bio', '.annotated']);

/** Whether `file` is read as CoNLL (token per line) rather than plain text, one sentence per line. */
export function isConllFile(file: string): boolean {
  return CONLL_EXTENSIONS.has(extname(file).toLowerCase());
}

function write(record: Record<string, unknown>): string {
  // JSON has no NaN: a diverged model's metrics are printed as "NaN"/"Infinity".
  return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2);
}

/**
 * `evaluate` of a token-classification model on a CoNLL file: entity-level precision, recall and
 * F1 (seqeval), token accuracy, and the same per entity type under `per_type`.
 */
export async function evaluateTokenClassification(options: InferenceOptions & { readonly file: string; readonly batchSize: number }): Promise<number> {
  const { model, tokenizer, labelMap } = await loadModelDirectory(options.model_name_or_path);
  try {
    const set = await readConll(options.file, { labelMap });
    const dataset = encodeTaggedSentences(set.sentences, tokenizer, { maxLength: options.max_seq_length, padId: tokenizer.padTokenId });
    const { metrics } = await inferenceTrainer(model, options.batchSize, entityComputeMetrics(labelMap.id2label)).predict(dataset, 'eval');
    const perType: Record<string, Record<string, number>> = {};
    for (const [key, value] of Object.entries(metrics)) {
      const match = /^eval_(.+)_(precision|recall|f1|number)$/.exec(key);
      if (match) (perType[match[1]!] ??= {})[match[2]!] = value;
    }
    const overall = Object.fromEntries(Object.entries(metrics).filter(([key]) => !/^eval_(.+)_(precision|recall|f1|number)$/.test(key)));
    process.stdout.write(`${write({ file: options.file, sentences: set.sentences.length, ...overall, per_type: perType })}\n`);
    for (const [type, s] of Object.entries(perType)) {
      process.stderr.write(`${type.padEnd(16)} precision ${s['precision']!.toFixed(4)}  recall ${s['recall']!.toFixed(4)}  f1 ${s['f1']!.toFixed(4)}  (${s['number']} entities)\n`);
    }
    return Object.values(metrics).every(Number.isFinite) ? 0 : 1;
  } finally {
    model.dispose();
  }
}

/** `evaluate` of a sequence-classification model with --long-text-strategy: metrics per text (windows averaged). */
export async function evaluateLongTexts(options: InferenceOptions & { readonly file: string; readonly batchSize: number }): Promise<number> {
  const { model, tokenizer, labelMap } = await loadModelDirectory(options.model_name_or_path);
  try {
    const set = await readExamples(options.file, { textColumn: options.text_column, labelColumn: options.label_column, labelMap });
    const windows = encodeLongTexts(set.examples, tokenizer, longTextOptions(options, tokenizer.padTokenId));
    const numLabels = Object.keys(labelMap.label2id).length;
    const { metrics } = await inferenceTrainer(model, options.batchSize, documentMetrics(windows, numLabels)).predict(windows.dataset, 'eval');
    process.stdout.write(`${write({ file: options.file, examples: set.examples.length, rows: windows.dataset.size, long_text_strategy: options.long_text_strategy, ...metrics })}\n`);
    return Object.values(metrics).every(Number.isFinite) ? 0 : 1;
  } finally {
    model.dispose();
  }
}

/** One predicted entity: words [start, end) and their text; on plain text also character offsets. */
interface PredictedEntity {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly start_char?: number;
  readonly end_char?: number;
}

/**
 * `predict` with a token-classification model: CoNLL input (tags, if any, are ignored) or plain
 * text, one sentence per line, split into words. One JSON object per sentence:
 * `{"tokens", "tags", "entities": [{"type", "start", "end", "text"}]}` (word offsets, end exclusive);
 * on plain text also `line`, `text` and each entity's `start_char`/`end_char` into the line.
 */
export async function predictTokenClassification(options: InferenceOptions & { readonly input: string; readonly output: string; readonly batchSize: number }): Promise<number> {
  const { model, tokenizer, labelMap } = await loadModelDirectory(options.model_name_or_path);
  try {
    let sentences: { words: string[]; offsets?: OffsetWord[]; line: number; text?: string }[];
    if (isConllFile(options.input)) {
      const set = await readConll(options.input, { labelMap, requireTags: false });
      sentences = set.sentences.map((s: TaggedSentence) => ({ words: [...s.words], line: s.line }));
    } else {
      const lines = await readTextLines(options.input);
      sentences = lines.examples.map((example) => {
        const offsets = splitWordsWithOffsets(example.text);
        return { words: offsets.map((o) => o.word), offsets, line: example.line, text: example.text };
      });
    }
    const nonEmpty = sentences.filter((s) => s.words.length > 0);
    const tagged = nonEmpty.map((s) => ({ line: s.line, words: s.words, tags: s.words.map(() => ''), tagIds: s.words.map(() => 0) }));
    const dataset = encodeTaggedSentences(tagged, tokenizer, { maxLength: options.max_seq_length, padId: tokenizer.padTokenId });
    const { logits, shape } = await inferenceTrainer(model, options.batchSize).predict(dataset);
    const best = argmaxLastAxis(logits, shape);
    const seq = shape[1]!;
    const encoded = tokenizer.encodeWords(tagged.map((s) => s.words), { maxLength: options.max_seq_length, padding: false, truncation: true });
    const out = createWriteStream(options.output);
    nonEmpty.forEach((sentence, row) => {
      // A word's tag is its first sub-token's; words cut off by truncation are tagged O.
      const tags = sentence.words.map(() => 'O');
      let previous: number | null = null;
      encoded.wordIds[row]!.forEach((wordId, position) => {
        if (wordId !== null && wordId !== previous) tags[wordId] = labelMap.id2label[String(best[row * seq + position])] ?? 'O';
        previous = wordId;
      });
      const entities: PredictedEntity[] = extractEntities(tags).map((e) => {
        const words = sentence.words.slice(e.start, e.end);
        if (sentence.offsets === undefined || sentence.text === undefined) return { ...e, text: words.join(' ') };
        const [startChar, endChar] = [sentence.offsets[e.start]!.start, sentence.offsets[e.end - 1]!.end];
        return { ...e, text: sentence.text.slice(startChar, endChar), start_char: startChar, end_char: endChar };
      });
      const record = sentence.text === undefined ? { tokens: sentence.words, tags, entities } : { line: sentence.line, text: sentence.text, tokens: sentence.words, tags, entities };
      out.write(`${JSON.stringify(record)}\n`);
    });
    out.end();
    await once(out, 'finish');
    process.stderr.write(`wrote ${nonEmpty.length} tagged sentences to ${options.output}\n`);
  } finally {
    model.dispose();
  }
  return 0;
}

/** `predict` with --long-text-strategy: one record per text, its logits the mean of its windows'. */
export async function predictLongTexts(
  options: InferenceOptions & { readonly input: string; readonly output: string; readonly batchSize: number },
  readInput: () => Promise<{ examples: readonly { line: number; text: string }[] }>,
): Promise<number> {
  const { model, tokenizer, labelMap } = await loadModelDirectory(options.model_name_or_path);
  try {
    const set = await readInput();
    const windows = encodeLongTexts([...set.examples], tokenizer, longTextOptions(options, tokenizer.padTokenId));
    const { logits, shape } = await inferenceTrainer(model, options.batchSize).predict(windows.dataset);
    const numLabels = shape[shape.length - 1]!;
    const perText = averageWindowLogits(logits, numLabels, windows.documentOf, windows.documents);
    const out = createWriteStream(options.output);
    set.examples.forEach((example, row) => {
      const rowLogits = Array.from(perText.subarray(row * numLabels, (row + 1) * numLabels));
      const max = Math.max(...rowLogits);
      const exps = rowLogits.map((v) => Math.exp(v - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      const best = exps.indexOf(Math.max(...exps));
      const windowCount = windows.documentOf.filter((doc) => doc === row).length;
      out.write(`${JSON.stringify({ line: example.line, text: example.text, label: labelMap.id2label[best], score: exps[best]! / sum, logits: rowLogits, windows: windowCount })}\n`);
    });
    out.end();
    await once(out, 'finish');
    process.stderr.write(`wrote ${set.examples.length} predictions (${options.long_text_strategy}) to ${options.output}\n`);
  } finally {
    model.dispose();
  }
  return 0;
}
