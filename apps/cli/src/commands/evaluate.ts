import { encodeExamples, readExamples } from '@tunefleet/data';
import { classificationComputeMetrics } from '@tunefleet/trainer';
import { startBackend } from '../backend.ts';
import { inferenceTrainer, loadModelDirectory } from '../inference.ts';

export interface EvaluateOptions {
  model: string;
  file: string;
  textColumn?: string;
  textPairColumn?: string;
  labelColumn: string;
  maxSeqLength: number;
  batchSize: number;
  backend?: string;
  threads?: number;
}

/** `tunefleet evaluate`: metrics of a saved model on a labelled file, as JSON on stdout. */
export async function runEvaluate(options: EvaluateOptions): Promise<number> {
  await startBackend(options);
  const { model, tokenizer, labelMap } = await loadModelDirectory(options.model);
  try {
    const set = await readExamples(options.file, {
      textColumn: options.textColumn,
      textPairColumn: options.textPairColumn,
      labelColumn: options.labelColumn,
      labelMap,
    });
    const dataset = encodeExamples(set.examples, tokenizer, { maxLength: options.maxSeqLength, padId: tokenizer.padTokenId });
    const computeMetrics = classificationComputeMetrics(Object.keys(labelMap.label2id).length);
    const { metrics } = await inferenceTrainer(model, options.batchSize, computeMetrics).predict(dataset, 'eval');
    process.stdout.write(`${JSON.stringify({ file: options.file, examples: set.examples.length, ...metrics }, null, 2)}\n`);
  } finally {
    model.dispose();
  }
  return 0;
}
