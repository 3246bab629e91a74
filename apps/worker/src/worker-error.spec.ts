import { PeerUnavailableError } from '@tunefleet/comm';
import { TunefleetError } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { describeFailure, WorkerError } from './worker-error.ts';

describe('WorkerError', () => {
  it('is a TunefleetError with its code, retryability, cause and the gRPC status it was refused with', () => {
    const cause = new Error('refused');
    const error = new WorkerError('COORDINATOR_REJECTED', 'no', false, { cause, grpcCode: 5 });
    expect(error).toBeInstanceOf(TunefleetError);
    expect(error).toMatchObject({ name: 'WorkerError', code: 'COORDINATOR_REJECTED', isRetryable: false, cause, grpcCode: 5 });
    expect(new WorkerError('COORDINATOR_UNREACHABLE', 'gone', true).grpcCode).toBeUndefined();
  });
});

describe('describeFailure', () => {
  it('keeps typed codes and retryability, and names anything else WORKER_FAILED', () => {
    expect(describeFailure(new WorkerError('COORDINATOR_UNREACHABLE', 'gone', true))).toEqual({ code: 'COORDINATOR_UNREACHABLE', message: 'gone', isRetryable: true });
    expect(describeFailure(new TunefleetError('COLLECTIVE_TIMEOUT', 'stalled', { isRetryable: true }))).toEqual({ code: 'COLLECTIVE_TIMEOUT', message: 'stalled', isRetryable: true });
    expect(describeFailure(new Error('boom'))).toEqual({ code: 'WORKER_FAILED', message: 'boom', isRetryable: false });
    expect(describeFailure('text')).toEqual({ code: 'WORKER_FAILED', message: 'text', isRetryable: false });
  });

  it('keeps the retryability of the ring errors, so the coordinator re-forms the ring after a lost peer', () => {
    expect(describeFailure(new PeerUnavailableError(1, '127.0.0.1:1', 'connection reset'))).toMatchObject({ code: 'PEER_UNAVAILABLE', isRetryable: true });
  });

  it('reads a Node error code but never trusts a duck-typed isRetryable', () => {
    const enoent = Object.assign(new Error('no such file'), { code: 'ENOENT', isRetryable: true });
    expect(describeFailure(enoent)).toEqual({ code: 'ENOENT', message: 'no such file', isRetryable: false });
    expect(describeFailure({ code: 'DUCK', isRetryable: true })).toMatchObject({ code: 'WORKER_FAILED', isRetryable: false });
  });
});
