import { parseBertConfig, type BertConfig } from './bert-config.ts';
import { ConfigError } from './config-error.ts';
import { readConfigJson } from './config-file.ts';
import { parseDistilBertConfig, type DistilBertConfig } from './distilbert-config.ts';
import { parseGpt2Config, type Gpt2Config } from './gpt2-config.ts';
import { parseLlamaConfig, type LlamaConfig } from './llama-config.ts';
import { parseMarianConfig, type MarianConfig } from './marian-config.ts';
import { parseRobertaConfig, type RobertaConfig } from './roberta-config.ts';

/** The config of any supported model family; `model_type` tells them apart. */
export type ModelConfig = BertConfig | DistilBertConfig | RobertaConfig | Gpt2Config | LlamaConfig | MarianConfig;
export type ModelType = ModelConfig['model_type'];

export const MODEL_TYPES: readonly ModelType[] = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'gpt2', 'llama', 'qwen2', 'marian'];

/**
 * Hugging Face class-name prefix of each family, longest first (an `XLMRoberta...` class is not a
 * `Roberta...` one, a `DistilBert...` not a `Bert...`).
 */
const CLASS_PREFIXES: readonly (readonly [string, ModelType])[] = [
  ['XLMRoberta', 'xlm-roberta'],
  ['DistilBert', 'distilbert'],
  ['Roberta', 'roberta'],
  ['Bert', 'bert'],
  ['GPT2', 'gpt2'],
  ['Llama', 'llama'],
  ['Qwen2', 'qwen2'],
  ['Marian', 'marian'],
];

/** The family a Hugging Face class name (`RobertaForMaskedLM`) belongs to, if tunefleet has it. */
export function modelTypeOfArchitecture(architecture: string): ModelType | undefined {
  return CLASS_PREFIXES.find(([prefix]) => architecture.startsWith(prefix))?.[1];
}

/**
 * Validates a config.json of any supported family. The family is `model_type`; a file without one
 * is identified by `architectures[0]`, and one with neither is BERT (old BERT checkpoints wrote
 * neither). An unsupported model_type or architecture, or an architecture of another family than
 * model_type, is CONFIG_UNSUPPORTED_MODEL naming it.
 */
export function parseModelConfig(json: unknown, file: string): ModelConfig {
  const raw = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  if (raw === undefined) return parseBertConfig(json, file); // reports the (root) issue
  const architecture = Array.isArray(raw.architectures) && typeof raw.architectures[0] === 'string' ? raw.architectures[0] : undefined;
  const fromArchitecture = architecture === undefined ? undefined : modelTypeOfArchitecture(architecture);
  const supported = `supported: model_type ${MODEL_TYPES.join(', ')}`;
  if (raw.model_type !== undefined && !MODEL_TYPES.includes(raw.model_type as ModelType)) {
    const named = architecture === undefined ? '' : ` (architectures[0] ${JSON.stringify(architecture)})`;
    throw new ConfigError('CONFIG_UNSUPPORTED_MODEL', file, `model_type ${JSON.stringify(raw.model_type)}${named} is not supported; ${supported}`);
  }
  if (raw.model_type === undefined && architecture !== undefined && fromArchitecture === undefined) {
    throw new ConfigError('CONFIG_UNSUPPORTED_MODEL', file, `architectures[0] ${JSON.stringify(architecture)} is not supported and model_type is absent; ${supported}`);
  }
  const modelType = (raw.model_type as ModelType | undefined) ?? fromArchitecture ?? 'bert';
  if (fromArchitecture !== undefined && fromArchitecture !== modelType) {
    throw new ConfigError(
      'CONFIG_UNSUPPORTED_MODEL',
      file,
      `architectures[0] ${JSON.stringify(architecture)} is a ${fromArchitecture} class but model_type is ${JSON.stringify(modelType)}; fix one of them`,
    );
  }
  const withType = { ...raw, model_type: modelType };
  switch (modelType) {
    case 'bert':
      return parseBertConfig(withType, file);
    case 'distilbert':
      return parseDistilBertConfig(withType, file);
    case 'roberta':
    case 'xlm-roberta':
      return parseRobertaConfig(withType, file);
    case 'gpt2':
      return parseGpt2Config(withType, file);
    case 'llama':
    case 'qwen2':
      return parseLlamaConfig(withType, file);
    case 'marian':
      return parseMarianConfig(withType, file);
  }
}

/** Reads and validates a config.json of any supported family. */
export async function readModelConfig(file: string): Promise<ModelConfig> {
  return parseModelConfig(await readConfigJson(file), file);
}
