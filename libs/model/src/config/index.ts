// Public API of the config module: Hugging Face configs of every family (BERT, DistilBERT, RoBERTa, XLM-R), presets, parameter names/shapes.
export { BertConfigSchema, numLabels, parseBertConfig, type BertConfig } from './bert-config.ts';
export { readBertConfig, serializeBertConfig, writeBertConfig } from './config-file.ts';
export { ConfigError, type ConfigErrorCode, type ConfigIssue } from './config-error.ts';
export { BERT_PRESETS, type BertPresetName } from './presets.ts';
export { bertParameterShapes, type BertHead } from './parameter-shapes.ts';
export { DISTILBERT_LAYER_NORM_EPS, DistilBertConfigSchema, parseDistilBertConfig, type DistilBertConfig } from './distilbert-config.ts';
export { parseRobertaConfig, RobertaConfigSchema, robertaMaxSequenceLength, XlmRobertaConfigSchema, type RobertaConfig } from './roberta-config.ts';
export { MODEL_TYPES, modelTypeOfArchitecture, parseModelConfig, readModelConfig, type ModelConfig, type ModelType } from './model-config.ts';
export { readConfigJson, writeModelConfig } from './config-file.ts';
export { distilBertParameterShapes } from './distilbert-parameter-shapes.ts';
export { robertaParameterShapes } from './roberta-parameter-shapes.ts';
export { familyPresetConfig, type FamilyPresetFields } from './family-presets.ts';
export { GPT2_ACTIVATIONS, Gpt2ConfigSchema, gpt2InnerSize, parseGpt2Config, type Gpt2Config } from './gpt2-config.ts';
export { LlamaConfigSchema, llamaBiases, llamaHeadDim, llamaKeyValueHeads, parseLlamaConfig, Qwen2ConfigSchema, ROPE_TYPES, type LlamaConfig, type RopeType } from './llama-config.ts';
export { gpt2ParameterShapes, llamaParameterShapes } from './causal-parameter-shapes.ts';
export { positionLimit } from './position-limit.ts';
export { MARIAN_ACTIVATIONS, MarianConfigSchema, parseMarianConfig, type MarianActivation, type MarianConfig } from './marian-config.ts';
export { FINAL_LOGITS_BIAS, marianCheckpointShapes, marianParameterShapes } from './marian-parameter-shapes.ts';
