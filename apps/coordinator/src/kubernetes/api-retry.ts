import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException } from '@kubernetes/client-node';
import { KubernetesError } from './kubernetes-error.ts';

/** Bounded exponential backoff for API server faults (5xx, connection refused or reset). */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

// An API server restart or a leader change usually clears within seconds; 6 tries 0.2-5 s apart
// wait ~10 s in all, short enough that a `tunefleet scale` caller still gets an answer.
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 6, initialDelayMs: 200, maxDelayMs: 5_000 };

/** What one failed call tells us: the HTTP status (undefined: no answer at all) and the server's message. */
export interface ApiFailure {
  readonly status: number | undefined;
  readonly message: string;
}

/** Reads a client-node failure: an ApiException carries the status and a Status body (JSON text). */
export function apiFailure(error: unknown): ApiFailure {
  if (error instanceof ApiException) {
    return { status: error.code, message: statusMessage(error.body) ?? error.message };
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  return { status: typeof status === 'number' ? status : undefined, message: (error as Error).message ?? String(error) };
}

function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() === '' ? undefined : body.trim();
    }
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** 5xx and no answer at all are the API server's faults, worth another try; 4xx are answers. */
export function isServerFault(failure: ApiFailure): boolean {
  return failure.status === undefined || failure.status >= 500;
}

export function backoffDelayMs(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.initialDelayMs * 2 ** retry, policy.maxDelayMs);
}

/**
 * Runs `call`, retrying server faults with bounded backoff. A 4xx is returned to the caller as is
 * (the scaler handles 404 and 409 itself); faults that outlast the policy become
 * KUBERNETES_UNAVAILABLE naming the request and the last answer.
 */
export async function withServerRetry<T>(request: string, policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const failure = apiFailure(error);
      if (!isServerFault(failure)) throw error;
      if (attempt >= policy.attempts) {
        const answer = failure.status === undefined ? 'no answer' : `HTTP ${failure.status}`;
        throw new KubernetesError(
          'KUBERNETES_UNAVAILABLE',
          `${request}: the Kubernetes API server failed ${attempt} times (last: ${answer}: ${failure.message}); check the API server, then retry.`,
          { cause: error, isRetryable: true, ...(failure.status === undefined ? {} : { httpStatus: failure.status }) },
        );
      }
      await sleep(backoffDelayMs(policy, attempt - 1));
    }
  }
}

/** A 4xx the caller does not handle: fatal, naming the request, the status and the server's message. */
export function refused(request: string, error: unknown): KubernetesError {
  const failure = apiFailure(error);
  const hint = failure.status === 403 ? ' The coordinator\'s Role (deploy/k8s/base/rbac.yaml) must grant it.' : '';
  return new KubernetesError('KUBERNETES_REQUEST_REFUSED', `${request}: refused with HTTP ${failure.status}: ${failure.message}.${hint}`, {
    cause: error,
    ...(failure.status === undefined ? {} : { httpStatus: failure.status }),
  });
}
