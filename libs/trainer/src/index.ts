// Public API of @tunefleet/trainer. Other projects import only from here.
export { TrainerError, TrainingArgumentsError, type ArgumentIssue, type TrainerErrorCode } from './trainer-error.ts';
export {
  TrainingArgumentsSchema,
  parseTrainingArguments,
  trainingArgumentsToJSON,
  describeValue,
  type TrainingArguments,
  type TrainingArgumentsInput,
} from './training-arguments.ts';
export { NoopGradientSync, type GradientSync } from './gradient-sync.ts';
export { NoopTrainingObserver, type ObservedTrainerOptions, type StepSample, type TrainingObserver } from './trainer-observer.ts';
export { batchesPerEpoch, type BatchOptions, type BatchSource } from './batch-source.ts';
export { isShardedSource, planForSource, type ShardedSource } from './sharded-plan.ts';
export { lossTermCount, SYNC_TRAILER_LENGTH } from './gradients.ts';
export { AdamW, type AdamWOptions, type NamedArray } from './adamw.ts';
export { FusedAdamW, type FusedAdamWKernel, type Optimizer } from './fused-adamw.ts';
export { clipGradNorm, globalNorm } from './clip-grad-norm.ts';
export { LrScheduler, getLrLambda, numWarmupSteps, type LrLambda, type LrSchedulerType } from './lr-schedule.ts';
export {
  argmaxLastAxis,
  classificationComputeMetrics,
  computeClassificationMetrics,
  type ClassificationMetrics,
} from './classification-metrics.ts';
export {
  argmaxLogits,
  argmaxOfScores,
  causalLmEvaluation,
  languageModelComputeMetrics,
  languageModelScores,
  maskedLmEvaluation,
  type LanguageModelMetricsOptions,
  type TaskEvaluation,
} from './language-model-metrics.ts';
export {
  computeEntityMetrics,
  entityComputeMetrics,
  extractEntities,
  flattenEntityMetrics,
  tagSequences,
  type EntityMetrics,
  type EntityScores,
  type TaggedEntity,
} from './entity-metrics.ts';
export { planTraining, type TrainingPlan } from './training-plan.ts';
export { listCheckpoints, loadModelWeights } from './checkpoints.ts';
export { Trainer } from './trainer.ts';
export type {
  ComputeMetrics,
  EvalPrediction,
  GenerationMetrics,
  LogEntry,
  PreprocessLogitsForMetrics,
  PredictionOutput,
  TrainerCallbacks,
  TrainerOptions,
  TrainerProgress,
  TrainOutput,
} from './trainer-types.ts';
export * from './evaluation/index.ts';
export * from './model-card/index.ts';
