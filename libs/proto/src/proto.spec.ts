import { describe, expect, it } from 'vitest';
import {
  Assignment,
  Chunk,
  CollectiveService,
  CoordinatorService,
  Dtype,
  ExchangeRequest,
  JobProgress,
  JobState,
  Phase,
  SubmitJobRequest,
} from './index.ts';

describe('generated protobuf code', () => {
  it('round-trips a collective chunk with its payload bytes intact', () => {
    // env=node: bytes fields decode as Buffer views.
    const payload = Buffer.from(new Float32Array([1.5, -2.25, 3e-8, 3.4e38]).buffer);
    const message: ExchangeRequest = {
      frame: {
        $case: 'chunk',
        value: {
          ...Chunk.fromPartial({}),
          jobId: 'job-7',
          step: 2 ** 40,
          bucketId: 3,
          phase: Phase.PHASE_ALL_GATHER,
          round: 2,
          chunkIndex: 9,
          rank: 5,
          dtype: Dtype.DTYPE_F32,
          elementCount: 4,
          payload,
        },
      },
    };
    const bytes = ExchangeRequest.encode(message).finish();
    const decoded = ExchangeRequest.decode(bytes);
    expect(decoded).toEqual(message);
    // The service definition's serializer is the same codec.
    const viaService = CollectiveService.exchange.requestDeserialize(CollectiveService.exchange.requestSerialize(message));
    expect(viaService).toEqual(message);
  });

  it('round-trips an assignment with ring neighbours and shard plan', () => {
    const assignment = Assignment.fromPartial({
      jobId: 'job-1',
      rank: 3,
      worldSize: 4,
      ringGeneration: 2,
      leftAddress: '10.0.0.2:7070',
      rightAddress: '10.0.0.4:7070',
      shardPlan: { seed: 42, numShards: 4, shardIndex: 3, numExamples: 67349, startEpoch: 1, startCursor: 1200 },
      spec: { name: 'sst2', worldSize: 4, trainingArgumentsJson: '{"learning_rate":5e-5}' },
    });
    expect(Assignment.decode(Assignment.encode(assignment).finish())).toEqual(assignment);
  });

  it('keeps progress maps and terminal states through JSON and binary', () => {
    const progress = JobProgress.fromPartial({
      jobId: 'j',
      state: JobState.JOB_STATE_SUCCEEDED,
      globalStep: 100,
      evalMetrics: { eval_accuracy: 0.83, eval_loss: 0.41 },
    });
    expect(JobProgress.decode(JobProgress.encode(progress).finish())).toEqual(progress);
    expect(JobProgress.fromJSON(JobProgress.toJSON(progress))).toEqual(progress);
  });

  it('describes every coordinator RPC the design names', () => {
    expect(Object.keys(CoordinatorService).sort()).toEqual(
      ['cancelJob', 'deregister', 'getJob', 'heartbeat', 'listJobs', 'register', 'reportProgress', 'scaleJob', 'submitJob', 'watchJob'].sort(),
    );
    expect(CoordinatorService.watchJob.responseStream).toBe(true);
    const request = SubmitJobRequest.fromPartial({ spec: { name: 'x', worldSize: 2 } });
    expect(CoordinatorService.submitJob.requestDeserialize(CoordinatorService.submitJob.requestSerialize(request))).toEqual(request);
  });
});
