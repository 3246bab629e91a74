/**
 * Model cards: `renderModelCard(input)` writes the README.md of an output directory in Hugging
 * Face's format (YAML metadata with model-index, then HF's sections), from the training
 * arguments, trainer_state's log_history, the final evaluation and, when computed, the
 * data-quality, slice and regression-gate findings.
 */
export { renderModelCard } from './model-card.ts';
export { modelCardMetadata, modelIndexMetrics, type ModelIndexMetric, type ModelIndexResult } from './model-card-metadata.ts';
export { MORE_INFORMATION_NEEDED } from './model-card-sections.ts';
export type {
  FrameworkVersions,
  ModelCardDataFile,
  ModelCardDataset,
  ModelCardEvaluation,
  ModelCardInput,
  ModelCardTask,
} from './model-card-input.ts';
