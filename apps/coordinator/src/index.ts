// Public API of @tunefleet/coordinator: the CLI wires `tunefleet coordinator|submit|status|cancel` to these.
export { startCoordinator, type CoordinatorOptions, type RunningCoordinator, type TlsFiles } from './server.ts';
export { createCoordinatorClient, type ClientTlsFiles, type CoordinatorClientApi } from './client.ts';
export { CoordinatorClientError } from './coordinator-client-error.ts';
export { parseJobSpecYaml, validateJobSpec, validateJobSpecInput, JobSpecSchema, type ValidatedJobSpec } from './job-spec.ts';
export { buildShardPlan } from './shard-plan.ts';
export { startUiServer, type RunningUiServer, type UiServerOptions, type UiSource } from './ui/ui-server.ts';
export { CoordinatorError, JobSpecError, type CoordinatorErrorCode, type SpecIssue } from './coordinator-error.ts';
