/**
 * Evaluation beyond one number: metrics per group (`sliceMetrics`, for `evaluate --group-column`),
 * a paired bootstrap of two models on the same examples (`pairedBootstrap`, for `compare`), the
 * regression gate that keeps a retrained model from replacing a better one (`parseGate`,
 * `evaluateGates`, for `train --baseline-model --gate`), and translation's sacrebleu BLEU and chrF.
 */
export { EvaluationError, type EvaluationErrorCode } from './evaluation-error.ts';
// Translation (issue 14): sacrebleu's corpus BLEU (13a, exp smoothing) and chrF, and run_translation's metrics.
export { bleuFromStatistics, corpusBleu, type BleuOptions, type BleuScore, type BleuSmoothMethod } from './bleu.ts';
export { corpusChrf, type ChrfOptions, type ChrfScore } from './chrf.ts';
export { tokenize13a } from './sacrebleu-tokenizer-13a.ts';
export {
  computeTranslationMetrics,
  evaluateGenerated,
  translationComputeMetrics,
  type LabelledTargetBatch,
  type TranslationMetrics,
  type TranslationMetricsOptions,
} from './bleu-translation-metrics.ts';
export { classificationMetric, type MetricFunction } from './metric-function.ts';
export {
  DEFAULT_MIN_GROUP_SIZE,
  sliceMetrics,
  summarizeSlices,
  type GroupMetrics,
  type MetricGap,
  type SliceMetricsInput,
  type SliceReport,
} from './slice-metrics.ts';
export {
  pairedBootstrap,
  summarizeBootstrap,
  type GroupDifference,
  type MetricDifference,
  type PairedBootstrapInput,
  type PairedBootstrapResult,
} from './paired-bootstrap.ts';
export {
  evaluateGate,
  evaluateGates,
  parseGate,
  type GateOperator,
  type GateResult,
  type GateUnit,
  type RegressionGate,
} from './regression-gate.ts';
