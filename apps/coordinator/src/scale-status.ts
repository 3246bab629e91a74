import { status } from '@grpc/grpc-js';
import { KubernetesError, type KubernetesErrorCode } from './kubernetes/kubernetes-error.ts';

const STATUS_BY_CODE: Record<KubernetesErrorCode, status> = {
  SCALE_OUT_OF_RANGE: status.INVALID_ARGUMENT,
  // Another writer kept changing the StatefulSet: the caller may try again.
  SCALE_CONFLICT: status.ABORTED,
  KUBERNETES_UNAVAILABLE: status.UNAVAILABLE,
  // RBAC or an admission webhook refused us: the cluster's setup must change first.
  KUBERNETES_REQUEST_REFUSED: status.FAILED_PRECONDITION,
  KUBERNETES_MODE_REQUIRED: status.FAILED_PRECONDITION,
};

/** The gRPC status of a ScaleJob failure raised by the Kubernetes side; undefined for other errors. */
export function scaleErrorStatus(error: unknown): status | undefined {
  return error instanceof KubernetesError ? STATUS_BY_CODE[error.code] : undefined;
}
