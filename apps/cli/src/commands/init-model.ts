import { mkdir } from 'node:fs/promises';
import { BERT_PRESETS, createModel, parseBertConfig, type ModelTask } from '@tunefleet/model';
import { BertTokenizer } from '@tunefleet/tokenizer';
import { startBackend } from '../backend.ts';
import { CliConfigError } from '../cli-config-error.ts';

export interface InitModelOptions {
  preset: keyof typeof BERT_PRESETS;
  vocab: string;
  numLabels: number;
  task: string;
  seed: number;
  uncased: boolean;
  output: string;
  backend?: string;
}

const TASKS: readonly ModelTask[] = ['sequence-classification', 'token-classification', 'masked-lm'];

/** `tunefleet init-model`: a randomly initialised checkpoint in Hugging Face layout. */
export async function runInitModel(options: InitModelOptions): Promise<number> {
  if (!TASKS.includes(options.task as ModelTask)) {
    throw new CliConfigError(`--task: "${options.task}" is not one of ${TASKS.join(', ')}`);
  }
  if (!Number.isInteger(options.numLabels) || options.numLabels < 1) {
    throw new CliConfigError(`--num-labels: expected a positive integer, got ${options.numLabels}`);
  }
  await startBackend({ backend: options.backend });
  const tokenizer = await BertTokenizer.fromVocabFile(options.vocab, { doLowerCase: options.uncased });
  const id2label = Object.fromEntries(Array.from({ length: options.numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
  const label2id = Object.fromEntries(Object.entries(id2label).map(([id, label]) => [label, Number(id)]));
  const config = parseBertConfig(
    { ...BERT_PRESETS[options.preset], vocab_size: tokenizer.vocabSize, id2label, label2id },
    `preset ${options.preset}`,
  );
  const model = createModel(config, options.task as ModelTask, { seed: options.seed });
  try {
    await mkdir(options.output, { recursive: true });
    await model.save(options.output);
    await tokenizer.save(options.output);
  } finally {
    model.dispose();
  }
  process.stderr.write(
    `wrote ${options.preset} BERT (${config.num_hidden_layers}x${config.hidden_size}, vocab ${config.vocab_size}) to ${options.output}\n`,
  );
  return 0;
}
