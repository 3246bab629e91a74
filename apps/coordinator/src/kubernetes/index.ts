// Running tunefleet's workers on Kubernetes: scale a job's worker StatefulSet through the API and
// turn the worker pods' life into membership joins and losses. The coordinator uses them in its
// Kubernetes mode (../scale-controller.ts: ScaleJob, and the pod watch feeding lost pods into the
// elastic membership).
export { WorkerScaler, checkScaleRange, templateFromStatefulSet, type ScaleRequest, type ScaleResult, type WorkerScalerOptions } from './worker-scaler.ts';
export { WorkerPodWatch, type WorkerPodWatchOptions } from './pod-watch.ts';
export { type WorkerMembershipListener, type WorkerPod } from './worker-membership.ts';
export { jobStatefulSetName, jobLabelValue, statefulSetForJob, JOB_LABEL } from './job-statefulset.ts';
export { inClusterConfig, SERVICE_ACCOUNT_DIR, type InClusterConfig, type InClusterEnvironment } from './in-cluster-config.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './api-retry.ts';
export { SCALER_RBAC_RULES, type RbacRule } from './scaler-rbac.ts';
export { KubernetesError, type KubernetesErrorCode } from './kubernetes-error.ts';
