// Public API of @tunefleet/worker: the CLI wires `tunefleet worker --coordinator HOST:PORT` to runWorker.
export { runWorker, WORKER_EXIT_CODES, type RunWorkerOptions, type WorkerResult } from './run-worker.ts';
export { runJob, type JobContext, type JobOutcome } from './run-job.ts';
export { ProgressReporter, type ProgressSink } from './progress-reporter.ts';
export { RingGradientSync, type RingGradientSyncOptions, type RingSyncStats } from './ring-gradient-sync.ts';
export { connectCoordinator, type CoordinatorLink, type WorkerTlsFiles } from './coordinator-link.ts';
export { WorkerError, describeFailure, type WorkerErrorCode } from './worker-error.ts';
