/**
 * Evaluation beyond one number: metrics per group (`sliceMetrics`, for `evaluate --group-column`),
 * a paired bootstrap of two models on the same examples (`pairedBootstrap`, for `compare`), and
 * the regression gate that keeps a retrained model from replacing a better one (`parseGate`,
 * `evaluateGates`, for `train --baseline-model --gate`).
 */
export { EvaluationError, type EvaluationErrorCode } from './evaluation-error.ts';
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
