import { join } from 'node:path';
import { labelMapFrom, type LabelMap } from '@tunefleet/data';
import { ARCHITECTURES, loadPretrained, readBertConfig, type BertModel, type ModelTask } from '@tunefleet/model';
import { BertTokenizer } from '@tunefleet/tokenizer';
import { parseTrainingArguments, Trainer, type ComputeMetrics } from '@tunefleet/trainer';
import { CliConfigError } from './cli-config-error.ts';

export interface LoadedModel {
  readonly model: BertModel;
  readonly tokenizer: BertTokenizer;
  readonly task: ModelTask;
  readonly labelMap: LabelMap;
}

/** A saved model directory, ready for evaluate/predict: the task comes from config.json's architectures. */
export async function loadModelDirectory(dir: string): Promise<LoadedModel> {
  const configFile = join(dir, 'config.json');
  const config = await readBertConfig(configFile);
  const architecture = config.architectures?.[0];
  const task = (Object.entries(ARCHITECTURES) as [ModelTask, string][]).find(([, name]) => name === architecture)?.[0];
  if (task === undefined) {
    throw new CliConfigError(
      `${configFile}: architectures[0] is ${JSON.stringify(architecture)}; expected one of ${Object.values(ARCHITECTURES).join(', ')}`,
    );
  }
  if (task === 'masked-lm') throw new CliConfigError(`${configFile}: ${architecture} has no labels to evaluate or predict`);
  const tokenizer = await BertTokenizer.fromPretrained(dir);
  const { model } = await loadPretrained(dir, { task });
  const labelMap = labelMapFrom(config.label2id ?? Object.fromEntries(Object.entries(config.id2label ?? {}).map(([id, l]) => [l, Number(id)])));
  return { model, tokenizer, task, labelMap };
}

/** A Trainer used only for its evaluation loop; it writes nothing. */
export function inferenceTrainer(model: BertModel, batchSize: number, computeMetrics?: ComputeMetrics): Trainer {
  const args = parseTrainingArguments({ output_dir: '.', per_device_eval_batch_size: batchSize }, 'inference');
  return new Trainer({ model, args, computeMetrics });
}
