import { encodeExamples, readExamples } from '@tunefleet/data';
import { classificationComputeMetrics } from '@tunefleet/trainer';
import { startBackend } from '../backend.ts';
import type { InferenceOptions } from '../inference-options.ts';
import { inferenceTrainer, loadModelDirectory } from '../inference.ts';

export interface EvaluateOptions extends InferenceOptions {
  readonly file: string;
  readonly batchSize: number;
}

/** `tunefleet evaluate`: metrics of a saved model on a labelled file, as JSON on stdout. */
export async function runEvaluate(options: EvaluateOptions): Promise<number> {
  await startBackend(options);
  const { model, tokenizer, labelMap } = await loadModelDirectory(options.model_name_or_path);
  try {
    const set = await readExamples(options.file, {
      textColumn: options.text_column,
      textPairColumn: options.text_pair_column,
      labelColumn: options.label_column,
      labelMap,
    });
    const dataset = encodeExamples(set.examples, tokenizer, { maxLength: options.max_seq_length, padId: tokenizer.padTokenId });
    const computeMetrics = classificationComputeMetrics(Object.keys(labelMap.label2id).length);
    const { metrics } = await inferenceTrainer(model, options.batchSize, computeMetrics).predict(dataset, 'eval');
    process.stdout.write(`${JSON.stringify({ file: options.file, examples: set.examples.length, ...metrics }, null, 2)}\n`);
  } finally {
    model.dispose();
  }
  return 0;
}
