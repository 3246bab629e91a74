// Generation for decoder models (greedy, sampling, key/value cache, generation_config.json); exported through libs/model's index.ts.
export { generate, type FinishReason, type GenerateOptions, type GenerateResult } from './generate.ts';
export {
  eosTokenIds,
  GenerationConfigSchema,
  generationConfigFromModelConfig,
  parseGenerationConfig,
  readGenerationConfig,
  writeGenerationConfig,
  type GenerationConfig,
} from './generation-config.ts';
export { GenerationError, type GenerationErrorCode } from './generation-error.ts';
export {
  applyBadWords,
  applyForcedTokens,
  applyNoRepeatNgram,
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  argmax,
  logSoftmax,
  sampleFrom,
  softmax,
} from './logits-processors.ts';
export { BeamHypotheses, BeamSearchScorer, type BeamCandidate, type BeamSearchSettings, type EarlyStopping } from './beam-search.ts';
