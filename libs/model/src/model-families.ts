import { BERT_FAMILY } from './bert/bert-family.ts';
import type { ModelConfig, ModelType } from './config/index.ts';
import { DISTILBERT_FAMILY } from './distilbert/distilbert-family.ts';
import { GPT2_FAMILY } from './gpt2/gpt2-family.ts';
import type { ModelFamily } from './layers/model-family.ts';
import { ModelTaskError } from './layers/model-task-error.ts';
import { LLAMA_FAMILY } from './llama/llama-family.ts';
import { MARIAN_FAMILY } from './marian/marian-family.ts';
import { ROBERTA_FAMILY } from './roberta/roberta-family.ts';
import type { AnyModelTask, ModelTask } from './trainable.ts';
import type { BertModel } from './bert/bert-model.ts';
import type { DistilBertModel } from './distilbert/distilbert-model.ts';
import type { Gpt2LMHeadModel } from './gpt2/gpt2-model.ts';
import type { LlamaForCausalLM } from './llama/llama-model.ts';
import type { MarianMTModel } from './marian/marian-model.ts';
import type { RobertaModel } from './roberta/roberta-model.ts';

/** A model of any supported family and head: what loading and creating return. */
export type PretrainedModel = BertModel | DistilBertModel | RobertaModel | CausalLanguageModel | Seq2SeqLanguageModel;
/** A decoder-only model with its LM head (task `causal-lm`). */
export type CausalLanguageModel = Gpt2LMHeadModel | LlamaForCausalLM;
/** An encoder-decoder model with its LM head (task `translation`). */
export type Seq2SeqLanguageModel = MarianMTModel;

const FAMILIES = {
  bert: BERT_FAMILY,
  distilbert: DISTILBERT_FAMILY,
  roberta: ROBERTA_FAMILY,
  'xlm-roberta': ROBERTA_FAMILY,
  gpt2: GPT2_FAMILY,
  llama: LLAMA_FAMILY,
  qwen2: LLAMA_FAMILY,
  marian: MARIAN_FAMILY,
} as const satisfies Record<ModelType, unknown>;

/** The family of a parsed config (its model_type; parseModelConfig has rejected unsupported ones). */
export function familyOf(config: ModelConfig): ModelFamily<ModelConfig, PretrainedModel, AnyModelTask> {
  return FAMILIES[config.model_type] as unknown as ModelFamily<ModelConfig, PretrainedModel, AnyModelTask>;
}

/**
 * The Hugging Face class of `task` for this config's family (`RobertaForTokenClassification`);
 * MODEL_TASK_UNSUPPORTED names the tasks the family has when it has no head for `task`.
 */
export function architectureOf(config: ModelConfig, task: AnyModelTask): string {
  const names = familyOf(config).architectures(config);
  const name = names[task] as string | undefined;
  if (name === undefined) {
    throw new ModelTaskError('MODEL_TASK_UNSUPPORTED', `model_type "${config.model_type}" has no ${task} head; its tasks: ${Object.keys(names).join(', ')}`);
  }
  return name;
}

/**
 * Which family and encoder head a Hugging Face class name is (`XLMRobertaForMaskedLM` → xlm-roberta,
 * masked-lm), if tunefleet has it. Causal LM classes (`GPT2LMHeadModel`) are `causalModelTypeOfArchitecture`'s, seq2seq ones (`MarianMTModel`) `seq2seqModelTypeOfArchitecture`'s.
 */
export function taskOfArchitecture(architecture: string): { modelType: ModelType; task: ModelTask } | undefined {
  for (const modelType of Object.keys(FAMILIES) as ModelType[]) {
    const names = familyOf({ model_type: modelType } as ModelConfig).architectures({ model_type: modelType } as ModelConfig);
    const task = (Object.keys(names) as AnyModelTask[]).find((t) => t !== 'causal-lm' && t !== 'translation' && names[t] === architecture);
    if (task !== undefined && task !== 'causal-lm' && task !== 'translation') return { modelType, task };
  }
  return undefined;
}

/** The model_type of a causal LM class (`LlamaForCausalLM` → llama), if tunefleet has it. */
export function causalModelTypeOfArchitecture(architecture: string): ModelType | undefined {
  return (Object.keys(FAMILIES) as ModelType[]).find((modelType) => {
    const config = { model_type: modelType } as ModelConfig;
    return (familyOf(config).architectures(config) as Partial<Record<AnyModelTask, string>>)['causal-lm'] === architecture;
  });
}

/** The model_type of an encoder-decoder class (`MarianMTModel` → marian), if tunefleet has it. */
export function seq2seqModelTypeOfArchitecture(architecture: string): ModelType | undefined {
  return (Object.keys(FAMILIES) as ModelType[]).find((modelType) => {
    const config = { model_type: modelType } as ModelConfig;
    return (familyOf(config).architectures(config) as Partial<Record<AnyModelTask, string>>).translation === architecture;
  });
}
