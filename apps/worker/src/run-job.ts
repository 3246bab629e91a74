import * as tf from '@tensorflow/tfjs-core';
import type { AddInto, Transport } from '@tunefleet/comm';
import { withMaskingEpochs } from '@tunefleet/data';
import type { TrainableModel } from '@tunefleet/model';
import type { TunefleetMetrics } from '@tunefleet/metrics';
import { GradientDtype, JobState, type Assignment, type JobSpec } from '@tunefleet/proto';
import {
  checkCheckpointRoom,
  checkOutputDirWritable,
  DEFAULT_COLLECTIVE_TIMEOUT_MS,
  frameworkVersions,
  loadJobInputs,
  parameterCountOf,
  runArgumentsFromWire,
  writeRunModelCard,
} from '@tunefleet/run';
import { parseTrainingArguments, Trainer, type FusedAdamWKernel, type TrainingArguments } from '@tunefleet/trainer';
import { ElasticShardSource } from './elastic-shard-source.ts';
import { ProgressReporter, type ProgressSink } from './progress-reporter.ts';
import type { StepLedger } from './step-ledger.ts';
import { RingGradientSync } from './ring-gradient-sync.ts';
import { workerTrainingObserver } from './worker-metrics.ts';
import { WorkerError } from './worker-error.ts';

export interface JobContext {
  readonly assignment: Assignment;
  readonly transport: Transport;
  /** Sends a progress report; resolves with the coordinator's should_stop. */
  readonly report: ProgressSink;
  /**
   * Registers what to do when the coordinator says stop (from a heartbeat or a report);
   * `isReforming`: the ring re-forms, so leave it without saving a final model.
   */
  readonly onStop: (stop: (isReforming: boolean) => void) => void;
  /** This rank's sample ledger; the `report` sink sends and empties it. */
  readonly ledger?: StepLedger;
  readonly log: (line: string) => void;
  /** The backend's one-call AdamW (native-kernels' on the native backend), as `tunefleet train` uses. */
  readonly fusedAdamWKernel?: FusedAdamWKernel;
  /** The ring's f32 reduction (native-kernels' addInto when the addon is built). */
  readonly addInto?: AddInto;
  /** This process's Prometheus registry (`--metrics-port`): the rank's series go into it. */
  readonly metrics?: TunefleetMetrics;
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
  const args = resumeArguments(parseArguments(spec, assignment.jobId), assignment, context.log);
  // Pre-flight on the writer (rank 0): output directory now; every rank checks sequence length and labels while reading.
  if (assignment.rank === 0) await checkOutputDirWritable(args.output_dir);
  const inputs = await loadJobInputs(spec, args.seed, log);
  let isStopped = false;
  let isTrainingDone = false;
  let trainer: Trainer | undefined;
  const stop = (isReforming = false): void => {
    // After the last collective a stop changes nothing: rank 0 may already have finished the job.
    if (isStopped || isTrainingDone) return;
    isStopped = true;
    log(`job ${assignment.jobId}: the coordinator asked to stop${isReforming ? ' (the ring re-forms)' : ''}; leaving the ring`);
    // A re-forming ring resumes from a checkpoint: no final model from a stopped rank, its next collective just fails.
    if (!isReforming) trainer?.requestStop();
    void transport.close(); // a collective in flight fails now instead of at its deadline
  };
  context.onStop(stop);
  try {
    if (assignment.rank === 0) await checkCheckpointRoom(args.output_dir, parameterCountOf(inputs.model), args.save_strategy);
    const sync = new RingGradientSync(transport, {
      timeoutMs: spec.collectiveTimeoutMs || DEFAULT_COLLECTIVE_TIMEOUT_MS,
      dtype: spec.gradientDtype === GradientDtype.GRADIENT_DTYPE_BF16 ? 'bf16' : 'f32',
      ...(context.addInto ? { addInto: context.addInto } : {}),
    });
    await broadcastParameters(inputs.model, sync);
    const reporter = new ProgressReporter(assignment.jobId, assignment.worldSize, () => sync.stats, context.report, () => stop());
    const plan = assignment.shardPlan;
    const trainDataset = new ElasticShardSource(inputs.trainSet, {
      rank: assignment.rank,
      worldSize: assignment.worldSize,
      globalMicroBatchSize: plan?.globalMicroBatchSize || args.per_device_train_batch_size * assignment.worldSize,
      gradientAccumulationSteps: args.gradient_accumulation_steps,
    });
    if (trainDataset.shard.globalMicroBatchSize !== args.per_device_train_batch_size * assignment.worldSize) {
      log(
        `job ${assignment.jobId}: ${assignment.worldSize} ranks share each global micro-batch of ${trainDataset.shard.globalMicroBatchSize} examples ` +
          `(per_device_train_batch_size ${args.per_device_train_batch_size} x world_size ${spec.worldSize}): ` +
          `this rank takes ${Math.floor(trainDataset.shard.globalMicroBatchSize / assignment.worldSize)}-${Math.ceil(trainDataset.shard.globalMicroBatchSize / assignment.worldSize)}; ` +
          'the global batch and the learning-rate schedule are unchanged',
      );
    }
    const ledger = context.ledger;
    const ledgerCallbacks = {
      onStepEnd: async (state: { globalStep: number }) => {
        const taken = trainDataset.takeStep(state.globalStep, args.dataloader_drop_last);
        ledger?.addStep(state.globalStep, taken.epoch, taken.ids);
        // Every rank's record reaches the coordinator with the checkpoint it backs.
        if (ledger !== undefined && isSaveStep(args, state.globalStep)) await reporter.report(JobState.JOB_STATE_RUNNING);
      },
      onSave: async (dir: string, state: { globalStep: number }) => {
        ledger?.addCheckpoint(state.globalStep, dir);
        if (ledger !== undefined) await reporter.report(JobState.JOB_STATE_RUNNING);
      },
    };
    trainer = new Trainer({
      model: inputs.model,
      args,
      // Masked LM: the shard's batches are masked per (seed, epoch, example), as one process masks them.
      trainDataset: withMaskingEpochs(trainDataset, inputs.trainSet),
      ...(inputs.evalSet ? { evalDataset: inputs.evalSet } : {}),
      computeMetrics: inputs.computeMetrics,
      ...(inputs.preprocessLogitsForMetrics ? { preprocessLogitsForMetrics: inputs.preprocessLogitsForMetrics } : {}),
      ...(inputs.generationMetrics ? { generationMetrics: inputs.generationMetrics } : {}),
      ...(context.fusedAdamWKernel ? { fusedAdamWKernel: context.fusedAdamWKernel } : {}),
      gradientSync: sync,
      ...(context.metrics ? { observer: workerTrainingObserver(context.metrics, assignment.jobId, assignment.rank, () => sync.stats) } : {}),
      // After the last optimizer step this rank needs no peer: rank 0 may report SUCCEEDED (and the
      // coordinator answer should_stop) while this rank is still finishing up; that is not a stop.
      callbacks: [ledgerCallbacks, reporter, { onStepEnd: (state) => void (isTrainingDone ||= state.globalStep >= state.maxSteps) }],
      saveExtras: (dir) => inputs.tokenizer.save(dir),
      log,
    });
    const result = await trainer.train();
    if (isStopped) return 'stopped';
    isTrainingDone = true;
    if (inputs.evalSet) await trainer.evaluate();
    log(`job ${assignment.jobId}: rank ${assignment.rank} done, ${result.globalStep} steps, train_loss ${result.trainingLoss.toFixed(4)}`);
    if (assignment.rank === 0) await writeJobModelCard(spec, args, assignment.worldSize, inputs, log);
    // Rank 0 has written the model by now; its SUCCEEDED finishes the job. Another rank's says its
    // part is done, so its exit (before rank 0's report) is no lost rank.
    await context.report(reporter.snapshot(JobState.JOB_STATE_SUCCEEDED), { isFinal: true });
    return 'succeeded';
  } catch (error) {
    if (isStopped) return 'stopped';
    throw error;
  } finally {
    inputs.model.dispose();
  }
}

/**
 * Rank 0's README.md in the output directory, as `tunefleet train` writes it (libs/run's one
 * function). The model is already saved, so a card that cannot be written is logged, not fatal.
 */
async function writeJobModelCard(
  spec: JobSpec,
  args: TrainingArguments,
  worldSize: number,
  inputs: { readonly trainSet: { readonly size: number }; readonly evalSet?: { readonly size: number } },
  log: (line: string) => void,
): Promise<void> {
  try {
    const run = { ...runArgumentsFromWire(spec, 'job spec'), training_arguments: args };
    const rows = { train: inputs.trainSet.size, ...(inputs.evalSet ? { validation: inputs.evalSet.size } : {}) };
    const card = await writeRunModelCard({ run, frameworkVersions: await frameworkVersions(tf.getBackend()), worldSize, rows });
    log(`model card: ${card}`);
  } catch (error) {
    log(`model card not written: ${(error as Error).message}`);
  }
}

function checkAssignment(assignment: Assignment): JobSpec {
  const { spec, rank, worldSize, shardPlan } = assignment;
  const problems: string[] = [];
  if (spec === undefined) problems.push('it has no job spec');
  if (!(worldSize >= 1 && rank < worldSize)) problems.push(`rank ${rank} is not below world_size ${worldSize}`);
  const maxWorkers = Math.max(spec?.worldSize ?? 0, spec?.maxWorkers ?? 0);
  if (spec !== undefined && worldSize > maxWorkers) problems.push(`world_size ${worldSize} is more than the spec's max_workers ${maxWorkers}`);
  if (shardPlan !== undefined && (shardPlan.numShards !== worldSize || shardPlan.shardIndex !== rank)) {
    problems.push(`shard_plan is shard ${shardPlan.shardIndex} of ${shardPlan.numShards}, but the assignment is rank ${rank} of ${worldSize}`);
  }
  if (problems.length > 0 || spec === undefined) {
    throw new WorkerError('ASSIGNMENT_INVALID', `assignment for job ${assignment.jobId}: ${problems.join('; ')}; this is a coordinator bug, report it.`);
  }
  return spec;
}

/**
 * A re-formed ring resumes from the checkpoint the coordinator names (the newest one the sample
 * ledger covers); one re-formed before any such checkpoint starts over, as the job first did.
 */
function resumeArguments(args: TrainingArguments, assignment: Assignment, log: (line: string) => void): TrainingArguments {
  if (assignment.resumeCheckpoint) {
    log(`job ${assignment.jobId}: resuming from ${assignment.resumeCheckpoint} (restart ${assignment.restarts ?? 0})`);
    return { ...args, resume_from_checkpoint: assignment.resumeCheckpoint };
  }
  if ((assignment.restarts ?? 0) > 0 && args.resume_from_checkpoint === null) return { ...args, overwrite_output_dir: true };
  return args;
}

/** Whether the Trainer saves a checkpoint after optimizer step `step` (save_strategy 'steps'). */
function isSaveStep(args: TrainingArguments, step: number): boolean {
  return args.save_strategy === 'steps' && step % args.save_steps === 0;
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
