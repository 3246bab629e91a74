import {
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import type { CoordinatorServer, WatchJobRequest, WatchJobResponse } from '@tunefleet/proto';
import { errorCode } from '@tunefleet/core';
import { checkBearerToken } from './auth.ts';
import { CoordinatorCore, isTerminal } from './coordinator-core.ts';
import { CoordinatorError, type CoordinatorErrorCode } from './coordinator-error.ts';
import { validateJobSpec } from './job-spec.ts';
import type { JobScaling } from './scale-controller.ts';
import { scaleErrorStatus } from './scale-status.ts';

const STATUS_BY_CODE: Record<CoordinatorErrorCode, status> = {
  JOB_SPEC_INVALID: status.INVALID_ARGUMENT,
  REQUEST_INVALID: status.INVALID_ARGUMENT,
  JOB_NOT_FOUND: status.NOT_FOUND,
  WORKER_NOT_FOUND: status.NOT_FOUND,
  JOB_NAME_TAKEN: status.ALREADY_EXISTS,
  WORKER_CONFLICT: status.ALREADY_EXISTS,
  JOB_ALREADY_FINISHED: status.FAILED_PRECONDITION,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  STORE_FAILED: status.INTERNAL,
  BIND_FAILED: status.INTERNAL, // raised by startCoordinator, never by an RPC
};

type Log = (line: string) => void;

/** The gRPC edge: authenticates, validates, calls the core, maps typed errors to status codes. */
export function createCoordinatorService(core: CoordinatorCore, token: string, log: Log, scaling: JobScaling) {
  const watchers = new Set<ServerWritableStream<WatchJobRequest, WatchJobResponse>>();

  function toStatus(error: unknown, method: string): Partial<ServiceError> {
    if (error instanceof CoordinatorError) return { code: STATUS_BY_CODE[error.code], details: error.message };
    const scaleStatus = scaleErrorStatus(error);
    // The Kubernetes side's own code travels in the details (KUBERNETES_MODE_REQUIRED: ...).
    if (scaleStatus !== undefined) return { code: scaleStatus, details: `${errorCode(error)}: ${(error as Error).message}` };
    log(`${method}: internal error: ${(error as Error)?.stack ?? String(error)}`);
    return { code: status.INTERNAL, details: `${method} failed inside the coordinator; see its log.` };
  }

  function authorize(call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>, method: string): boolean {
    const verdict = checkBearerToken(call.metadata, token);
    if (verdict === 'ok') return true;
    log(`rejected ${method} from ${call.getPeer()}: ${verdict} cluster token`);
    return false;
  }

  const unauthenticated = { code: status.UNAUTHENTICATED, details: 'missing or invalid cluster token (authorization: Bearer <token>)' };

  function unary<Req, Res>(method: string, handle: (request: Req) => Res) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      if (!authorize(call, method)) return callback(unauthenticated);
      let response: Res;
      try {
        response = handle(call.request);
      } catch (error) {
        return callback(toStatus(error, method));
      }
      callback(null, response);
    };
  }

  const service: CoordinatorServer = {
    submitJob: unary('SubmitJob', (request) => ({ job: scaling.describe(core.submitJob(validateJobSpec(request.spec, 'SubmitJob'))) })),
    getJob: unary('GetJob', (request) => ({ job: scaling.describe(core.getJob(request.jobId)) })),
    listJobs: unary('ListJobs', (request) => {
      const page = core.listJobs(request.states, request.pageSize, request.pageToken);
      return { ...page, jobs: page.jobs.map((job) => scaling.describe(job)) };
    }),
    cancelJob: unary('CancelJob', (request) => ({ job: scaling.describe(core.cancelJob(request.jobId)) })),
    scaleJob(call, callback) {
      if (!authorize(call, 'ScaleJob')) return callback(unauthenticated);
      scaling.scale(call.request.jobId, call.request.workers).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toStatus(error, 'ScaleJob')),
      );
    },
    register: unary('Register', (request) => core.register(request)),
    heartbeat: unary('Heartbeat', (request) => core.heartbeat(request)),
    reportProgress: unary('ReportProgress', (request) => core.reportProgress(request)),
    deregister: unary('Deregister', (request) => {
      core.deregister(request);
      return {};
    }),
    watchJob(call) {
      if (!authorize(call, 'WatchJob')) {
        call.emit('error', unauthenticated);
        return;
      }
      let unsubscribe = (): void => {};
      let isDone = false;
      const done = (): void => {
        isDone = true;
        unsubscribe();
        watchers.delete(call);
      };
      call.on('cancelled', done);
      try {
        unsubscribe = core.watch(call.request.jobId, (progress) => {
          if (isDone) return;
          call.write({ progress });
          if (isTerminal(progress.state)) {
            done();
            call.end();
          }
        });
      } catch (error) {
        done();
        call.emit('error', toStatus(error, 'WatchJob'));
        return;
      }
      if (isDone) unsubscribe();
      else watchers.add(call);
    },
  };

  /** Ends every open WatchJob stream (before shutdown, so it does not wait for them). */
  function closeWatchers(): void {
    for (const call of watchers) call.emit('error', { code: status.UNAVAILABLE, details: 'coordinator is shutting down; watch again after it restarts.' });
    watchers.clear();
  }

  return { service, closeWatchers };
}
