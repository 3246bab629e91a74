// Public API of @tunefleet/model. Other projects import only from here.
export * from './trainable.ts';
export * from './checkpoint/index.ts';
export * from './hub/index.ts';
export * from './config/index.ts';
export { BertBase, BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification, type BertModel } from './bert/bert-model.ts';
export { ARCHITECTURES } from './bert/architectures.ts';
export { BertModelError, type BertModelErrorCode } from './bert/bert-model-error.ts';
export { crossEntropy } from './bert/cross-entropy.ts';
// Hugging Face's (and torch's) ignore_index, defined once in libs/core; re-exported for model users.
export { IGNORE_INDEX } from '@tunefleet/core';
export { createModel, getWeights, loadPretrained, loadWeights, type CreateModelOptions, type LoadPretrainedOptions, type LoadReport } from './pretrained.ts';
export { DistilBertForMaskedLM, DistilBertForSequenceClassification, DistilBertForTokenClassification, type DistilBertModel } from './distilbert/distilbert-model.ts';
export { DISTILBERT_ARCHITECTURES } from './distilbert/architectures.ts';
export { RobertaForMaskedLM, RobertaForSequenceClassification, RobertaForTokenClassification, type RobertaModel } from './roberta/roberta-model.ts';
export { ROBERTA_ARCHITECTURES, XLM_ROBERTA_ARCHITECTURES } from './roberta/architectures.ts';
export { robertaPositionIds } from './roberta/position-ids.ts';
export { EncoderModel } from './layers/encoder-model.ts';
export { architectureOf, causalModelTypeOfArchitecture, taskOfArchitecture, type CausalLanguageModel, type PretrainedModel } from './model-families.ts';
export { ModelTaskError, type ModelTaskErrorCode } from './layers/model-task-error.ts';
export { DecoderModel, type DecodeInput } from './layers/decoder-model.ts';
export { disposeKeyValueCache, type KeyValueCache, type LayerKeyValue } from './layers/causal-attention.ts';
export { causalLmLoss } from './layers/causal-lm-loss.ts';
export type { SaveDecoderOptions } from './layers/save-decoder-model.ts';
export { GPT2_ARCHITECTURE, Gpt2LMHeadModel } from './gpt2/gpt2-model.ts';
export { LLAMA_ARCHITECTURES, LlamaForCausalLM } from './llama/llama-model.ts';
export { inverseFrequencies } from './llama/rotary.ts';
export * from './generation/index.ts';
