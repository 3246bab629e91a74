import { BERT_FAMILY } from './bert/bert-family.ts';
import type { ModelConfig, ModelType } from './config/index.ts';
import { DISTILBERT_FAMILY } from './distilbert/distilbert-family.ts';
import type { ModelFamily } from './layers/model-family.ts';
import { ROBERTA_FAMILY } from './roberta/roberta-family.ts';
import type { ModelTask } from './trainable.ts';
import type { BertModel } from './bert/bert-model.ts';
import type { DistilBertModel } from './distilbert/distilbert-model.ts';
import type { RobertaModel } from './roberta/roberta-model.ts';

/** A model of any supported family and head: what loading and creating return. */
export type PretrainedModel = BertModel | DistilBertModel | RobertaModel;

const FAMILIES = {
  bert: BERT_FAMILY,
  distilbert: DISTILBERT_FAMILY,
  roberta: ROBERTA_FAMILY,
  'xlm-roberta': ROBERTA_FAMILY,
} as const satisfies Record<ModelType, unknown>;

/** The family of a parsed config (its model_type; parseModelConfig has rejected unsupported ones). */
export function familyOf(config: ModelConfig): ModelFamily<ModelConfig, PretrainedModel> {
  return FAMILIES[config.model_type] as unknown as ModelFamily<ModelConfig, PretrainedModel>;
}

/** The Hugging Face class of `task` for this config's family (`RobertaForTokenClassification`). */
export function architectureOf(config: ModelConfig, task: ModelTask): string {
  return familyOf(config).architectures(config)[task];
}

/** Which family and head a Hugging Face class name is (`XLMRobertaForMaskedLM` → xlm-roberta, masked-lm), if tunefleet has it. */
export function taskOfArchitecture(architecture: string): { modelType: ModelType; task: ModelTask } | undefined {
  for (const modelType of Object.keys(FAMILIES) as ModelType[]) {
    const names = familyOf({ model_type: modelType } as ModelConfig).architectures({ model_type: modelType } as ModelConfig);
    const task = (Object.keys(names) as ModelTask[]).find((t) => names[t] === architecture);
    if (task !== undefined) return { modelType, task };
  }
  return undefined;
}
