import { TunefleetError } from '@tunefleet/core';

/** Stable codes of the Kubernetes scaler and pod watch; callers switch on `code`, never on the message. */
export type KubernetesErrorCode =
  /** A scale request outside the job's [min_workers, max_workers]; the message names both. */
  | 'SCALE_OUT_OF_RANGE'
  /** The StatefulSet kept changing under us (409 on every bounded retry). */
  | 'SCALE_CONFLICT'
  /** The API server answered 5xx or could not be reached, on every bounded retry. Retryable. */
  | 'KUBERNETES_UNAVAILABLE'
  /** The API server refused the request (4xx other than the 404 and 409 the scaler handles). */
  | 'KUBERNETES_REQUEST_REFUSED'
  /** No in-cluster configuration: the process does not run in a Kubernetes pod. */
  | 'KUBERNETES_MODE_REQUIRED';

export class KubernetesError extends TunefleetError<KubernetesErrorCode> {
  override readonly name: string = 'KubernetesError';
  /** HTTP status of the API server's last answer, when there was one. */
  readonly httpStatus: number | undefined;

  constructor(code: KubernetesErrorCode, message: string, options?: { cause?: unknown; isRetryable?: boolean; httpStatus?: number }) {
    super(code, message, options);
    this.httpStatus = options?.httpStatus;
  }
}
