import * as tf from '@tensorflow/tfjs-core';
import type { AddInto, Transport } from '@tunefleet/comm';
import { ShardedBatchSource } from '@tunefleet/data';
import type { TrainableModel } from '@tunefleet/model';
import { GradientDtype, JobState, type Assignment, type JobSpec } from '@tunefleet/proto';
import { DEFAULT_COLLECTIVE_TIMEOUT_MS, loadJobInputs } from '@tunefleet/run';
import { parseTrainingArguments, Trainer, type FusedAdamWKernel, type TrainingArguments } from '@tunefleet/trainer';
import { ProgressReporter, type ProgressSink } from './progress-reporter.ts';
import { RingGradientSync } from './ring-gradient-sync.ts';
import { WorkerError } from './worker-error.ts';

export interface JobContext {
  readonly assignment: Assignment;
  readonly transport: Transport;
  /** Sends a progress report; resolves with the coordinator's should_stop. */
  readonly report: ProgressSink;
  /** Registers what to do when the coordinator says stop (from a heartbeat or a report). */
  readonly onStop: (stop: () => void) => void;
  readonly log: (line: string) => void;
  /** The backend's one-call AdamW (native-kernels' on the native backend), as `tunefleet train` uses. */
  readonly fusedAdamWKernel?: FusedAdamWKernel;
  /** The ring's f32 reduction (native-kernels' addInto when the addon is built). */
  readonly addInto?: AddInto;
}

export type JobOutcome = 'succeeded' | 'stopped';

/**
 * One rank's part of a job: read inputs from the spec's paths, start from rank 0's weights, train
 * on this rank's shard with the ring as GradientSync (rank 0 alone writes checkpoints and the final
 * model), evaluate, and report. Resolves 'stopped' when the coordinator stopped the job.
 */
export async function runJob(context: JobContext): Promise<JobOutcome> {
  const { assignment, transport, log } = context;
  const spec = checkAssignment(assignment);
  const args = parseArguments(spec, assignment.jobId);
  const inputs = await loadJobInputs(spec, args.seed, log);
  let isStopped = false;
  let isTrainingDone = false;
  let trainer: Trainer | undefined;
  const stop = (): void => {
    // After the last collective a stop changes nothing: rank 0 may already have finished the job.
    if (isStopped || isTrainingDone) return;
    isStopped = true;
    log(`job ${assignment.jobId}: the coordinator asked to stop; leaving the ring`);
    trainer?.requestStop();
    void transport.close(); // a collective in flight fails now instead of at its deadline
  };
  context.onStop(stop);
  try {
    const sync = new RingGradientSync(transport, {
      timeoutMs: spec.collectiveTimeoutMs || DEFAULT_COLLECTIVE_TIMEOUT_MS,
      dtype: spec.gradientDtype === GradientDtype.GRADIENT_DTYPE_BF16 ? 'bf16' : 'f32',
      ...(context.addInto ? { addInto: context.addInto } : {}),
    });
    await broadcastParameters(inputs.model, sync);
    const reporter = new ProgressReporter(assignment.jobId, assignment.worldSize, () => sync.stats, context.report, stop);
    trainer = new Trainer({
      model: inputs.model,
      args,
      trainDataset: new ShardedBatchSource(inputs.trainSet, { rank: assignment.rank, worldSize: assignment.worldSize }),
      ...(inputs.evalSet ? { evalDataset: inputs.evalSet } : {}),
      computeMetrics: inputs.computeMetrics,
      ...(context.fusedAdamWKernel ? { fusedAdamWKernel: context.fusedAdamWKernel } : {}),
      gradientSync: sync,
      // After the last optimizer step this rank needs no peer: rank 0 may report SUCCEEDED (and the
      // coordinator answer should_stop) while this rank is still finishing up; that is not a stop.
      callbacks: [reporter, { onStepEnd: (state) => void (isTrainingDone ||= state.globalStep >= state.maxSteps) }],
      saveExtras: (dir) => inputs.tokenizer.save(dir),
      log,
    });
    const result = await trainer.train();
    if (isStopped) return 'stopped';
    isTrainingDone = true;
    if (inputs.evalSet) await trainer.evaluate();
    log(`job ${assignment.jobId}: rank ${assignment.rank} done, ${result.globalStep} steps, train_loss ${result.trainingLoss.toFixed(4)}`);
    // Rank 0 has written the model by now; its SUCCEEDED finishes the job.
    await reporter.report(assignment.rank === 0 ? JobState.JOB_STATE_SUCCEEDED : JobState.JOB_STATE_RUNNING);
    return 'succeeded';
  } catch (error) {
    if (isStopped) return 'stopped';
    throw error;
  } finally {
    inputs.model.dispose();
  }
}

function checkAssignment(assignment: Assignment): JobSpec {
  const { spec, rank, worldSize, shardPlan } = assignment;
  const problems: string[] = [];
  if (spec === undefined) problems.push('it has no job spec');
  if (!(worldSize >= 1 && rank < worldSize)) problems.push(`rank ${rank} is not below world_size ${worldSize}`);
  if (spec !== undefined && spec.worldSize !== worldSize) problems.push(`world_size ${worldSize} differs from the spec's ${spec.worldSize}`);
  if (shardPlan !== undefined && (shardPlan.numShards !== worldSize || shardPlan.shardIndex !== rank)) {
    problems.push(`shard_plan is shard ${shardPlan.shardIndex} of ${shardPlan.numShards}, but the assignment is rank ${rank} of ${worldSize}`);
  }
  if (problems.length > 0 || spec === undefined) {
    throw new WorkerError('ASSIGNMENT_INVALID', `assignment for job ${assignment.jobId}: ${problems.join('; ')}; this is a coordinator bug, report it.`);
  }
  return spec;
}

function parseArguments(spec: JobSpec, jobId: string): TrainingArguments {
  let input: unknown;
  try {
    input = JSON.parse(spec.trainingArgumentsJson === '' ? '{}' : spec.trainingArgumentsJson);
  } catch (error) {
    throw new WorkerError('ASSIGNMENT_INVALID', `job ${jobId}: training_arguments_json is not JSON: ${(error as Error).message}`);
  }
  return parseTrainingArguments(input, `job ${jobId} training_arguments`);
}

/** DDP starts every rank from rank 0's weights, so a rank that loaded something else cannot drift. */
async function broadcastParameters(model: TrainableModel, sync: RingGradientSync): Promise<void> {
  if (sync.worldSize === 1) return;
  let total = 0;
  for (const variable of model.parameters.values()) total += variable.size;
  const buffer = new Float32Array(total);
  let offset = 0;
  for (const variable of model.parameters.values()) {
    buffer.set(variable.dataSync(), offset);
    offset += variable.size;
  }
  await sync.broadcastFromRankZero(buffer);
  offset = 0;
  for (const variable of model.parameters.values()) {
    const values = tf.tensor(buffer.subarray(offset, offset + variable.size), variable.shape, 'float32');
    variable.assign(values);
    values.dispose();
    offset += variable.size;
  }
}
