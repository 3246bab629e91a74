import { join } from 'node:path';
import { labelMapFrom, type LabelMap } from '@tunefleet/data';
import { loadPretrained, readModelConfig, taskOfArchitecture, type ModelTask, type PretrainedModel } from '@tunefleet/model';
import { loadTokenizer, type PretrainedTokenizer } from '@tunefleet/tokenizer';
import { parseTrainingArguments, Trainer, type ComputeMetrics } from '@tunefleet/trainer';
import { CliConfigError } from './cli-config-error.ts';
import { resolveModelArgument } from './hub-model.ts';

export interface LoadedModel {
  readonly model: PretrainedModel;
  readonly tokenizer: PretrainedTokenizer;
  readonly task: ModelTask;
  readonly labelMap: LabelMap;
}

/** A saved model directory, ready for evaluate/predict: the task comes from config.json's architectures. */
export async function loadModelDirectory(nameOrDir: string): Promise<LoadedModel> {
  // A hub repo id (ORG/NAME) is its snapshot in the Hugging Face cache, downloaded when missing.
  const dir = await resolveModelArgument(nameOrDir);
  const configFile = join(dir, 'config.json');
  const config = await readModelConfig(configFile);
  const architecture = config.architectures?.[0];
  // Any family's head class: BertForSequenceClassification, RobertaForTokenClassification, ...
  const task = architecture === undefined ? undefined : taskOfArchitecture(architecture)?.task;
  if (task === undefined) {
    throw new CliConfigError(
      `${configFile}: architectures[0] is ${JSON.stringify(architecture)}; expected a sequence-classification, token-classification or masked-LM class of BERT, DistilBERT, RoBERTa or XLM-RoBERTa`,
    );
  }
  if (task === 'masked-lm') throw new CliConfigError(`${configFile}: ${architecture} has no labels to evaluate or predict`);
  const tokenizer = await loadTokenizer(dir);
  const { model } = await loadPretrained(dir, { task });
  const labelMap = labelMapFrom(config.label2id ?? Object.fromEntries(Object.entries(config.id2label ?? {}).map(([id, l]) => [l, Number(id)])));
  return { model, tokenizer, task, labelMap };
}

/** A Trainer used only for its evaluation loop; it writes nothing. */
export function inferenceTrainer(model: PretrainedModel, batchSize: number, computeMetrics?: ComputeMetrics): Trainer {
  const args = parseTrainingArguments({ output_dir: '.', per_device_eval_batch_size: batchSize }, 'inference');
  return new Trainer({ model, args, computeMetrics });
}
