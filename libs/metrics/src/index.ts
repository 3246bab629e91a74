// Public API of @tunefleet/metrics: the Prometheus metric definitions and the /metrics server.
export { MetricsError, type MetricsErrorCode } from './metrics-error.ts';
export {
  JOB_STATES,
  RANK_LABELS,
  TUNEFLEET_METRIC_NAMES,
  TunefleetMetrics,
  WORKER_STATES,
  type RankLabel,
  type TunefleetMetricsOptions,
} from './tunefleet-metrics.ts';
export { RankMetrics, type RankMetricsOptions, type RankStep } from './rank-metrics.ts';
export {
  bindCoordinatorMetrics,
  countWorkerRestarts,
  type CoordinatorMetricsSource,
  type JobProgressSample,
  type JobStateName,
  type WorkerStateName,
} from './coordinator-metrics.ts';
export { DEFAULT_METRICS_HOST, startMetricsServer, type MetricsServerOptions, type RunningMetricsServer } from './metrics-server.ts';
