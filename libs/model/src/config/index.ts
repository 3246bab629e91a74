// Public API of the config module: Hugging Face BertConfig, presets and parameter names/shapes.
export { BertConfigSchema, numLabels, parseBertConfig, type BertConfig } from './bert-config.ts';
export { readBertConfig, serializeBertConfig, writeBertConfig } from './config-file.ts';
export { ConfigError, type ConfigErrorCode, type ConfigIssue } from './config-error.ts';
export { BERT_PRESETS, type BertPresetName } from './presets.ts';
export { bertParameterShapes, type BertHead } from './parameter-shapes.ts';
