import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setComputePrecision, type ComputePrecision } from '@tunefleet/compute';
import { readSafetensors, supportsGradientCheckpointing, type TrainableModel } from '@tunefleet/model';
import { AdamW } from './adamw.ts';
import { FusedAdamW, type Optimizer } from './fused-adamw.ts';
import type { BatchSource } from './batch-source.ts';
import { checkpointDir, loadModelWeights, resolveResumeDir, rotateCheckpoints } from './checkpoints.ts';
import { readSchedulerStep, writeJson, writeModelDir, writeOptimizerState, writeResults } from './checkpoint-writer.ts';
import { clipGradNorm } from './clip-grad-norm.ts';
import { TrainerError } from './trainer-error.ts';
import { writeCheckpointAtomically } from './trainer-checkpoints.ts';
import { NonfiniteStepGuard, assertFiniteWeights, type RunStatus } from './trainer-integrity.ts';
import { NoopGradientSync, type GradientSync } from './gradient-sync.ts';
import { NoopTrainingObserver, timedGradientSync, type ObservedTrainerOptions, type TrainingObserver } from './trainer-observer.ts';
import { GradientAccumulator, averageAcrossRanks } from './gradients.ts';
import { LrScheduler } from './lr-schedule.ts';
import { predictionLoop } from './prediction-loop.ts';
import type { TrainingArguments } from './training-arguments.ts';
import { planForSource } from './sharded-plan.ts';
import { dropoutSeedFor, updateBounds, updateOfBatch, type TrainingPlan } from './training-plan.ts';
import { TrainerState } from './trainer-state.ts';
import { decideFlow, trackBestMetric, type FlowEvent } from './training-flow.ts';
import type { LogEntry, PredictionOutput, TrainerCallbacks, TrainerOptions, TrainerProgress, TrainOutput } from './trainer-types.ts';

/**
 * transformers.Trainer for a TrainableModel: AdamW + schedule, gradient accumulation and clipping,
 * data-parallel averaging through GradientSync, evaluation, checkpoints, early stopping.
 */
export class Trainer {
  readonly model: TrainableModel;
  readonly args: TrainingArguments;
  state = new TrainerState();
  private readonly options: TrainerOptions;
  private readonly sync: GradientSync;
  private readonly callbacks: readonly TrainerCallbacks[];
  private readonly observer: TrainingObserver;
  private optimizer: Optimizer | null = null;
  private scheduler: LrScheduler | null = null;
  private isStopRequested = false;
  private samplesSeen = 0;
  private lastLoss = Number.NaN;
  private lastGradNorm = Number.NaN;
  private lossSinceLog = 0;
  private globalStepLastLogged = 0;
  private lastEvalStep = -1;
  private lastSaveStep = -1;
  private nonfinite = new NonfiniteStepGuard(3);
  /** The last optimizer step's gradient sync time and learning rate, for the observer. */
  private lastSyncSeconds = 0;
  private lastStepLearningRate = Number.NaN;
  /** The matrix products' precision this Trainer set (bf16, bf16_full_eval), or null: the backend's float32. */
  private precision: ComputePrecision | null = null;
  private isPrecisionLogged = false;

  constructor(options: TrainerOptions & ObservedTrainerOptions) {
    this.options = options;
    this.model = options.model;
    this.args = options.args;
    this.sync = timedGradientSync(options.gradientSync ?? new NoopGradientSync(), (seconds) => (this.lastSyncSeconds += seconds));
    this.callbacks = options.callbacks ?? [];
    this.observer = options.observer ?? new NoopTrainingObserver();
    // Before any step: a run that asks to evaluate by generating must be able to.
    if (options.args.predict_with_generate && options.generationMetrics === undefined) {
      throw new TrainerError('ARGS_INVALID', `predict_with_generate (--predict-with-generate): a ${options.model.task} run has no generation metrics (translation runs have them)`);
    }
  }

  get isWorldProcessZero(): boolean {
    return this.sync.rank === 0;
  }

  /**
   * Ends train() after the current optimizer step (e.g. on SIGINT, a cancelled job). The run is
   * marked cancelled: a resumable checkpoint-<step> and trainer_state.json with "status":
   * "cancelled", but no final model or *_results.json that would look like a finished run.
   */
  requestStop(): void {
    this.isStopRequested = true;
  }

  async train(): Promise<TrainOutput> {
    const args = this.args;
    const dataset = requireDataset(this.options.trainDataset, 'trainDataset', 'train()');
    if (args.eval_strategy !== 'no') requireDataset(this.options.evalDataset, 'evalDataset', `eval_strategy='${args.eval_strategy}'`);
    const plan = planForSource(args, dataset);
    this.resetRun(plan);
    const resumeDir = await resolveResumeDir(args.resume_from_checkpoint, args.output_dir);
    if (resumeDir !== null) await this.resumeFrom(resumeDir);
    else await this.checkOutputDir();
    this.announce(plan, dataset.size);
    this.usePrecision(this.args.bf16 ? 'bf16' : 'fp32');
    this.useGradientCheckpointing();

    const startStep = this.state.globalStep;
    const startMs = performance.now();
    const accumulator = new GradientAccumulator(this.model);
    let totalLoss = 0;
    let shouldStop = startStep >= plan.maxSteps;
    // This rank's examples, tokens and time since the first micro-batch of the step in progress.
    let stepStartMs: number | undefined;
    let stepSamples = 0;
    let stepTokens = 0;
    this.observer.onTrainBegin(startStep, plan.maxSteps);
    await this.emit((cb, s) => cb.onTrainBegin?.(s));
    try {
      let updatesToSkip = startStep % plan.updatesPerEpoch;
      for (let epoch = Math.floor(startStep / plan.updatesPerEpoch); epoch < plan.numEpochs && !shouldStop; epoch++) {
        let index = 0;
        const batches = dataset.batches({
          epoch,
          batchSize: args.per_device_train_batch_size,
          shuffle: true,
          seed: args.seed,
          dropLast: args.dataloader_drop_last,
          // HF's LengthGroupedSampler batch size, global so that N ranks read what one process reads.
          ...(args.group_by_length
            ? { lengthGroupSize: args.per_device_train_batch_size * this.sync.worldSize * args.gradient_accumulation_steps }
            : {}),
        });
        for (const batch of batches) {
          if (index >= plan.batchesPerEpoch) break;
          const update = updateOfBatch(plan, args.gradient_accumulation_steps, index);
          const { start, end } = updateBounds(plan, args.gradient_accumulation_steps, update);
          index += 1;
          if (update < updatesToSkip) continue; // resumed: these steps are already in the weights
          const seed = dropoutSeedFor(args.seed, this.sync.rank, this.state.globalStep, index - 1 - start);
          stepStartMs ??= performance.now();
          accumulator.addMicroBatch(batch, seed); // sum of losses; the step divides by the global count
          this.samplesSeen += batch.batchSize;
          stepSamples += batch.batchSize;
          stepTokens += batch.inputIds.length;
          this.state.totalFlos += 6 * batch.inputIds.length * this.nonEmbeddingParameterCount();
          if (index < end) continue;
          const stepLoss = await this.optimizerStep(accumulator);
          totalLoss += stepLoss;
          this.state.epoch = epoch + index / plan.batchesPerEpoch;
          this.observeStep(plan, (performance.now() - stepStartMs!) / 1000, stepSamples, stepTokens);
          stepStartMs = undefined;
          stepSamples = 0;
          stepTokens = 0;
          await this.emit((cb, s) => cb.onStepEnd?.(s));
          const isLastStep = this.state.globalStep >= plan.maxSteps;
          const isEarlyStop = await this.maybeLogEvaluateSave({ kind: 'step', isLastStep });
          shouldStop = isEarlyStop || isLastStep || this.isStopRequested;
          if (shouldStop) break;
        }
        if (!shouldStop && index < plan.batchesPerEpoch) {
          throw new TrainerError(
            'DATASET_SIZE_MISMATCH',
            `trainDataset yielded ${index} batches in epoch ${epoch}, but its size ${dataset.size} implies ${plan.batchesPerEpoch}.`,
          );
        }
        updatesToSkip = 0;
        shouldStop = (await this.maybeLogEvaluateSave({ kind: 'epoch' })) || shouldStop;
      }
      return await this.finishTraining(plan, dataset.size, startStep, startMs, totalLoss);
    } catch (error) {
      await this.markEnded(this.isStopRequested ? 'cancelled' : 'failed', error);
      throw error;
    } finally {
      accumulator.dispose();
      this.usePrecision(null);
    }
  }

  /**
   * Sets the backend's product precision (null: back to float32, as before this Trainer); logs what
   * runs the products the first time bf16 is set, so a run says at start whether bf16 is emulated.
   */
  private usePrecision(precision: ComputePrecision | null): void {
    if ((precision ?? 'fp32') === (this.precision ?? 'fp32')) {
      this.precision = precision;
      return;
    }
    const state = setComputePrecision(precision ?? 'fp32');
    if (precision === 'bf16' && !this.isPrecisionLogged) this.options.log?.(`mixed precision: ${state.detail}`);
    this.isPrecisionLogged ||= precision === 'bf16';
    this.precision = precision;
  }

  /** HF's gradient_checkpointing_enable() when the arguments ask for it; a model without layer recomputation fails naming the flag. */
  private useGradientCheckpointing(): void {
    if (!this.args.gradient_checkpointing) return;
    if (!supportsGradientCheckpointing(this.model)) {
      throw new TrainerError('ARGS_INVALID', `gradient_checkpointing (--gradient-checkpointing): this model (${this.model.task}) cannot recompute its layers; the decoder families (GPT-2, Llama, Qwen2) can. Drop the flag.`);
    }
    this.model.gradientCheckpointing = true;
  }

  /** Runs an evaluation or prediction in bf16 when bf16 or bf16_full_eval asks for it, then restores the precision. */
  private withEvalPrecision<T>(fn: () => T): T {
    const before = this.precision;
    this.usePrecision(this.args.bf16 || this.args.bf16_full_eval ? 'bf16' : before);
    try {
      return fn();
    } finally {
      this.usePrecision(before);
    }
  }

  /**
   * Rank 0 records how a run that did not complete ended: trainer_state.json at output_dir with
   * "status" (cancelled or failed), "stopped_at_step" and the error. Best effort: the original
   * error is what the caller sees.
   */
  private async markEnded(status: RunStatus, error?: unknown): Promise<void> {
    if (!this.isWorldProcessZero) return;
    const json: Record<string, unknown> = { ...this.state.toJSON(this.args, true), status, stopped_at_step: this.state.globalStep };
    if (this.nonfinite.total > 0) json['nonfinite_steps'] = this.nonfinite.total;
    if (error !== undefined) json['error'] = error instanceof Error ? error.message : String(error);
    try {
      await mkdir(this.args.output_dir, { recursive: true });
      await writeJson(join(this.args.output_dir, 'trainer_state.json'), json);
    } catch {
      // an unwritable output_dir: the error being thrown says enough
    }
  }

  /** Evaluates on `dataset` (default: evalDataset); logs, and writes `<prefix>_results.json` on rank 0. */
  async evaluate(dataset?: BatchSource, metricKeyPrefix = 'eval'): Promise<Record<string, number>> {
    const source = requireDataset(dataset ?? this.options.evalDataset, 'evalDataset', 'evaluate()');
    const metrics = await this.runEvaluation(source, metricKeyPrefix);
    if (this.isWorldProcessZero) await writeResults(this.args.output_dir, metricKeyPrefix, { ...metrics, epoch: this.state.epoch });
    return metrics;
  }

  /** Logits (and labels, metrics when the dataset has labels) for every example, in dataset order. */
  async predict(dataset: BatchSource, metricKeyPrefix = 'test'): Promise<PredictionOutput> {
    const startMs = performance.now();
    const output = this.withEvalPrecision(() => predictionLoop(this.model, dataset, this.args.per_device_eval_batch_size, this.args.seed, this.options.preprocessLogitsForMetrics));
    const metrics = this.buildMetrics(output, metricKeyPrefix, startMs, dataset);
    const base = { logits: output.logits, shape: output.shape, metrics };
    return output.labelIds === undefined ? base : { ...base, labelIds: output.labelIds };
  }

  /** Writes the model (config.json, model.safetensors), extras and training_args.json; rank 0 only. */
  async saveModel(dir: string = this.args.output_dir): Promise<void> {
    if (!this.isWorldProcessZero) return;
    await writeModelDir(dir, this.model, this.args, this.options.saveExtras);
  }

  private resetRun(plan: TrainingPlan): void {
    const args = this.args;
    this.optimizer?.dispose();
    const adamOptions = { beta1: args.adam_beta1, beta2: args.adam_beta2, epsilon: args.adam_epsilon, weightDecay: args.weight_decay };
    const isDecayed = (name: string) => this.model.isDecayed(name);
    const fused = this.options.fusedAdamWKernel;
    this.optimizer = fused
      ? new FusedAdamW(this.model.parameters, adamOptions, isDecayed, fused)
      : new AdamW(this.model.parameters, adamOptions, isDecayed);
    this.scheduler = new LrScheduler(args.learning_rate, args.lr_scheduler_type, plan.warmupSteps, plan.maxSteps);
    this.state = new TrainerState();
    this.state.maxSteps = plan.maxSteps;
    this.state.numTrainEpochs = plan.numEpochs;
    this.isStopRequested = false;
    this.samplesSeen = 0;
    this.lastLoss = Number.NaN;
    this.lastGradNorm = Number.NaN;
    this.lossSinceLog = 0;
    this.lastEvalStep = -1;
    this.lastSaveStep = -1;
    this.nonfinite = new NonfiniteStepGuard(args.max_nonfinite_steps);
  }

  private async resumeFrom(dir: string): Promise<void> {
    const { maxSteps, numTrainEpochs } = this.state;
    await this.state.load(dir);
    Object.assign(this.state, { maxSteps, numTrainEpochs });
    const step = await readSchedulerStep(dir);
    if (step !== this.state.globalStep) {
      throw new TrainerError('CHECKPOINT_INVALID', `${dir}: scheduler.json step ${step} != trainer_state.json global_step ${this.state.globalStep}.`);
    }
    await loadModelWeights(this.model, dir);
    const optimizerFile = join(dir, 'optimizer.safetensors');
    this.optimizer!.loadState((await readSafetensors(optimizerFile)).tensors, step, optimizerFile);
    this.scheduler!.stepsDone = step;
    this.globalStepLastLogged = step;
    this.samplesSeen = 0;
    this.options.log?.(`Resuming from ${dir} at global step ${step}.`);
  }

  private async checkOutputDir(): Promise<void> {
    this.globalStepLastLogged = 0;
    if (this.args.overwrite_output_dir) return;
    let names: string[] = [];
    try {
      names = await readdir(this.args.output_dir);
    } catch {
      return; // does not exist yet
    }
    const previous = names.filter((n) => /^checkpoint-\d+$/.test(n) || n === 'trainer_state.json');
    if (previous.length > 0) {
      throw new TrainerError(
        'OUTPUT_DIR_NOT_EMPTY',
        `output_dir ${this.args.output_dir} already holds a run (${previous.slice(0, 3).join(', ')}); ` +
          'set resume_from_checkpoint to continue it or overwrite_output_dir to start over.',
      );
    }
  }

  private announce(plan: TrainingPlan, numExamples: number): void {
    const a = this.args;
    this.options.log?.(
      `***** Running training *****\n  Num examples = ${numExamples}\n  Num epochs = ${plan.numEpochs}\n` +
        `  Instantaneous batch size per device = ${a.per_device_train_batch_size}\n` +
        `  Total train batch size (w. parallel & accumulation) = ${a.per_device_train_batch_size * a.gradient_accumulation_steps * this.sync.worldSize}\n` +
        `  Gradient accumulation steps = ${a.gradient_accumulation_steps}\n  Total optimization steps = ${plan.maxSteps}`,
    );
  }

  /** Sync, clip, AdamW, schedule: one optimizer step. Returns the step loss (mean over every example of the step, all ranks). */
  private async optimizerStep(accumulator: GradientAccumulator): Promise<number> {
    this.lastSyncSeconds = 0;
    const averaged = await averageAcrossRanks(this.model.parameters, accumulator.take(), this.sync);
    const { totalNorm, grads } = clipGradNorm(averaged.grads, this.args.max_grad_norm);
    let isSkipped: boolean;
    try {
      isSkipped = this.nonfinite.isSkipped(this.state.globalStep + 1, averaged.loss, totalNorm);
    } catch (error) {
      for (const grad of grads.values()) grad.dispose();
      throw error;
    }
    if (isSkipped) {
      // Same decision on every rank (the values came out of one all-reduce): no weight or moment changes.
      for (const grad of grads.values()) grad.dispose();
      this.scheduler!.step();
      this.state.globalStep += 1;
      this.lastLoss = averaged.loss;
      this.lastGradNorm = totalNorm;
      this.options.log?.(
        `Step ${this.state.globalStep}: loss ${averaged.loss} / gradient norm ${totalNorm} is not finite; skipped ` +
          `(${this.nonfinite.consecutive} in a row, ${this.nonfinite.total} in all; max_nonfinite_steps ${this.args.max_nonfinite_steps}).`,
      );
      return 0;
    }
    this.lastStepLearningRate = this.scheduler!.currentLearningRate;
    try {
      this.optimizer!.step(grads, this.lastStepLearningRate);
    } finally {
      for (const grad of grads.values()) grad.dispose();
    }
    this.scheduler!.step();
    this.state.globalStep += 1;
    this.lastLoss = averaged.loss;
    this.lastGradNorm = totalNorm;
    this.lossSinceLog += averaged.loss;
    return averaged.loss;
  }

  /** The step just taken, to the observer; `totalSeconds` runs from its first micro-batch to after the optimizer. */
  private observeStep(plan: TrainingPlan, totalSeconds: number, samples: number, tokens: number): void {
    this.observer.onStep({
      step: this.state.globalStep,
      maxSteps: plan.maxSteps,
      epoch: this.state.epoch,
      loss: this.lastLoss,
      learningRate: this.lastStepLearningRate,
      gradNorm: this.lastGradNorm,
      samples,
      tokens,
      stepSeconds: Math.max(totalSeconds - this.lastSyncSeconds, 0),
      syncSeconds: this.lastSyncSeconds,
    });
  }

  /** HF's _maybe_log_save_evaluate: log, then evaluate, then save. Returns true when early stopping fires. */
  private async maybeLogEvaluateSave(event: FlowEvent): Promise<boolean> {
    const step = this.state.globalStep;
    const flow = decideFlow(this.args, step, event);
    if (flow.shouldLog && step > this.globalStepLastLogged) {
      const loss = this.lossSinceLog / (step - this.globalStepLastLogged);
      this.lossSinceLog = 0;
      this.globalStepLastLogged = step;
      await this.logEntry({ loss, grad_norm: this.lastGradNorm, learning_rate: this.scheduler!.currentLearningRate });
    }
    let isEarlyStop = false;
    let isNewBest = false;
    if (flow.shouldEvaluate && step !== this.lastEvalStep) {
      this.lastEvalStep = step;
      const metrics = await this.runEvaluation(this.options.evalDataset!, 'eval');
      let key: string | null;
      ({ isEarlyStop, isNewBest, key } = trackBestMetric(this.args, this.state, metrics));
      if (isEarlyStop) this.options.log?.(`Early stopping: ${key} did not improve for ${this.args.early_stopping_patience} evaluations.`);
    }
    // The last step can be saved (end of training) before its epoch-end evaluation runs; a new best
    // found then still points at that step's checkpoint.
    const isSaved = step === this.lastSaveStep;
    if (isNewBest && (flow.shouldSave || isSaved)) this.state.bestModelCheckpoint = checkpointDir(this.args.output_dir, step);
    if (flow.shouldSave && !isSaved) await this.saveCheckpoint();
    return isEarlyStop;
  }

  private async saveCheckpoint(): Promise<void> {
    const step = this.state.globalStep;
    this.lastSaveStep = step;
    if (!this.isWorldProcessZero) return;
    const startMs = performance.now();
    const dir = checkpointDir(this.args.output_dir, step);
    assertFiniteWeights(this.model, `checkpoint ${dir}`);
    // Atomic: a kill mid-save leaves no checkpoint-<step> that looks complete (trainer-checkpoints.ts).
    await writeCheckpointAtomically(dir, async (temp) => {
      await writeModelDir(temp, this.model, this.args, this.options.saveExtras);
      await writeOptimizerState(temp, this.optimizer!, this.scheduler!);
      await writeJson(join(temp, 'trainer_state.json'), this.state.toJSON(this.args, this.isWorldProcessZero));
    });
    await rotateCheckpoints(this.args.output_dir, this.args.save_total_limit, this.state.bestModelCheckpoint);
    this.observer.onCheckpoint((performance.now() - startMs) / 1000);
    await this.emit((cb, s) => cb.onSave?.(dir, s));
  }

  private async runEvaluation(dataset: BatchSource, prefix: string): Promise<Record<string, number>> {
    const startMs = performance.now();
    const output = this.withEvalPrecision(() => predictionLoop(this.model, dataset, this.args.per_device_eval_batch_size, this.args.seed, this.options.preprocessLogitsForMetrics));
    const metrics = this.buildMetrics(output, prefix, startMs, dataset);
    this.observer.onEvaluate(metrics);
    await this.logEntry({ ...metrics });
    await this.emit((cb, s) => cb.onEvaluate?.(metrics, s));
    return metrics;
  }

  private buildMetrics(output: ReturnType<typeof predictionLoop>, prefix: string, startMs: number, dataset: BatchSource): Record<string, number> {
    const metrics: Record<string, number> = {};
    // With labels the loss is always reported: NaN (a diverged model) is news, not something to drop.
    if (output.labelIds !== undefined || !Number.isNaN(output.meanLoss)) metrics[`${prefix}_loss`] = output.meanLoss;
    const generation = this.args.predict_with_generate ? this.options.generationMetrics : undefined;
    const computed =
      output.labelIds === undefined
        ? {}
        : generation !== undefined
          ? this.withEvalPrecision(() => generation(dataset, this.args.per_device_eval_batch_size, this.args))
          : (this.options.computeMetrics?.(output) ?? {});
    for (const [key, value] of Object.entries(computed)) metrics[key.startsWith(`${prefix}_`) ? key : `${prefix}_${key}`] = value;
    return { ...metrics, ...speedMetrics(prefix, startMs, output.numExamples, output.numBatches) };
  }

  private async finishTraining(plan: TrainingPlan, numExamples: number, startStep: number, startMs: number, totalLoss: number): Promise<TrainOutput> {
    const a = this.args;
    const best = this.state.bestModelCheckpoint;
    if (a.load_best_model_at_end && best !== null) {
      this.options.log?.(`Loading best model from ${best} (score: ${this.state.bestMetric}).`);
      await loadModelWeights(this.model, best);
    }
    const stepsThisRun = this.state.globalStep - startStep;
    const stepsTrained = stepsThisRun - this.nonfinite.total; // skipped steps add 0 to totalLoss
    const trainingLoss = stepsTrained > 0 ? totalLoss / stepsTrained : 0;
    const totalBatch = a.per_device_train_batch_size * a.gradient_accumulation_steps * this.sync.worldSize;
    const samplesPerRun = a.max_steps > 0 ? plan.maxSteps * totalBatch : numExamples * this.sync.worldSize * a.num_train_epochs;
    // Rates from the steps this call really ran (a resumed or cancelled run is not credited with max_steps).
    const numSamples = plan.maxSteps > 0 ? (samplesPerRun * stepsThisRun) / plan.maxSteps : 0;
    const metrics: Record<string, number> = {
      ...speedMetrics('train', startMs, numSamples, stepsThisRun),
      total_flos: this.state.totalFlos,
      train_loss: trainingLoss,
      ...(this.nonfinite.total > 0 ? { train_nonfinite_steps: this.nonfinite.total } : {}),
    };
    const entry = await this.logEntry(metrics);
    await this.emit((cb, s) => cb.onTrainEnd?.(s));
    if (this.isStopRequested && this.state.globalStep < plan.maxSteps) {
      // Cancelled: resumable, but nothing that looks like a finished run's outputs.
      if (this.lastSaveStep !== this.state.globalStep) await this.saveCheckpoint();
      await this.markEnded('cancelled');
      this.options.log?.(`Training cancelled at step ${this.state.globalStep} of ${plan.maxSteps}; resume with --resume-from-checkpoint latest.`);
      return { globalStep: this.state.globalStep, trainingLoss, metrics: { ...metrics, epoch: entry['epoch']! } };
    }
    assertFiniteWeights(this.model, `final model ${a.output_dir}`);
    if (this.isWorldProcessZero) {
      await this.saveModel(a.output_dir);
      await writeJson(join(a.output_dir, 'trainer_state.json'), this.state.toJSON(a, true));
      await writeResults(a.output_dir, 'train', { ...metrics, epoch: entry['epoch']! });
    }
    return { globalStep: this.state.globalStep, trainingLoss, metrics: { ...metrics, epoch: entry['epoch']! } };
  }

  /** HF's Trainer.log: adds epoch and step, appends to log_history, tells callbacks. */
  private async logEntry(logs: Record<string, number>): Promise<LogEntry> {
    const entry: LogEntry = { ...logs, epoch: this.state.epoch, step: this.state.globalStep };
    this.state.logHistory.push(entry);
    await this.emit((cb, s) => cb.onLog?.(entry, s));
    return entry;
  }

  private progress(): TrainerProgress {
    return {
      globalStep: this.state.globalStep,
      maxSteps: this.state.maxSteps,
      epoch: this.state.epoch,
      numTrainEpochs: this.state.numTrainEpochs,
      samplesSeen: this.samplesSeen,
      loss: this.lastLoss,
      learningRate: this.scheduler?.currentLearningRate ?? this.args.learning_rate,
      bestMetric: this.state.bestMetric,
      bestModelCheckpoint: this.state.bestModelCheckpoint,
      isWorldProcessZero: this.isWorldProcessZero,
    };
  }

  private async emit(call: (cb: TrainerCallbacks, state: TrainerProgress) => void | Promise<void> | undefined): Promise<void> {
    for (const cb of this.callbacks) await call(cb, this.progress());
  }

  private parameterCountCache: number | null = null;

  /** HF's floating_point_ops counts 6 * tokens * non-embedding parameters. */
  private nonEmbeddingParameterCount(): number {
    if (this.parameterCountCache === null) {
      let count = 0;
      for (const [name, variable] of this.model.parameters) if (!name.includes('embeddings')) count += variable.size;
      this.parameterCountCache = count;
    }
    return this.parameterCountCache;
  }
}

function requireDataset(dataset: BatchSource | undefined, name: string, why: string): BatchSource {
  if (dataset === undefined) {
    throw new TrainerError('DATASET_MISSING', `${why} needs ${name}, but the Trainer was constructed without one.`);
  }
  return dataset;
}

/** HF's speed_metrics: runtime rounded to 4 places, rates to 3. */
function speedMetrics(prefix: string, startMs: number, numSamples: number, numSteps: number): Record<string, number> {
  const runtime = (performance.now() - startMs) / 1000;
  const round = (value: number, places: number): number => Number(value.toFixed(places));
  return {
    [`${prefix}_runtime`]: round(runtime, 4),
    [`${prefix}_samples_per_second`]: round(numSamples / Math.max(runtime, 1e-9), 3),
    [`${prefix}_steps_per_second`]: round(numSteps / Math.max(runtime, 1e-9), 3),
  };
}
