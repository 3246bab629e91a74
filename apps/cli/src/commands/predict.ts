import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { extname } from 'node:path';
import { encodeExamples, readExamples, readTextLines, type ExampleSet } from '@tunefleet/data';
import { startBackend } from '../backend.ts';
import { CliConfigError } from '../cli-config-error.ts';
import type { InferenceOptions } from '../inference-options.ts';
import { inferenceTrainer, loadModelDirectory } from '../inference.ts';
import { modelTaskOf, predictLongTexts, predictTokenClassification } from '../inference-tasks.ts';

export interface PredictOptions extends InferenceOptions {
  readonly input: string;
  readonly output: string;
  readonly batchSize: number;
}

const DATA_EXTENSIONS = new Set(['.csv', '.tsv', '.jsonl', '.json']);

/** `tunefleet predict`: one JSON object per input row with label, score and logits. */
export async function runPredict(options: PredictOptions): Promise<number> {
  const modelTask = await modelTaskOf(options.model_name_or_path);
  if (modelTask === 'translation') {
    // translate starts the backend itself
    const { predictTranslation } = await import('../translation-tasks.ts');
    return predictTranslation(options);
  }
  await startBackend(options);
  if (modelTask === 'token-classification') return predictTokenClassification(options);
  if (modelTask === 'sequence-classification' && options.long_text_strategy !== 'head') return predictLongTexts(options, () => readInput(options));
  const { model, tokenizer, labelMap, task } = await loadModelDirectory(options.model_name_or_path);
  try {
    if (task !== 'sequence-classification') {
      throw new CliConfigError(`${options.model_name_or_path}: predict supports sequence-classification models, this one is ${task}`);
    }
    const set = await readInput(options);
    const dataset = encodeExamples(set.examples, tokenizer, { maxLength: options.max_seq_length, padId: tokenizer.padTokenId });
    const { logits, shape } = await inferenceTrainer(model, options.batchSize).predict(dataset);
    const numLabels = shape[shape.length - 1];
    const out = createWriteStream(options.output);
    set.examples.forEach((example, row) => {
      const rowLogits = Array.from(logits.subarray(row * numLabels, (row + 1) * numLabels));
      const probabilities = softmax(rowLogits);
      const best = probabilities.indexOf(Math.max(...probabilities));
      const record = { line: example.line, text: example.text, label: labelMap.id2label[best], score: probabilities[best], logits: rowLogits };
      out.write(`${JSON.stringify(record)}\n`);
    });
    out.end();
    await once(out, 'finish');
    process.stderr.write(`wrote ${set.examples.length} predictions to ${options.output}\n`);
  } finally {
    model.dispose();
  }
  return 0;
}

function readInput(options: PredictOptions): Promise<ExampleSet> {
  if (!DATA_EXTENSIONS.has(extname(options.input).toLowerCase())) return readTextLines(options.input);
  return readExamples(options.input, { textColumn: options.text_column, textPairColumn: options.text_pair_column, labelColumn: null });
}

function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
