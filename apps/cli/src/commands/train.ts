import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { RankMetrics, startMetricsServer, TunefleetMetrics } from '@tunefleet/metrics';
import { adamwUpdate } from '@tunefleet/native-kernels';
import {
  checkCheckpointRoom,
  checkOutputDirWritable,
  DEFAULT_COLLECTIVE_TIMEOUT_MS,
  frameworkVersions,
  loadRunInputs,
  parameterCountOf,
  readModelCardNotes,
  writeRunModelCard,
  type RunSpec,
} from '@tunefleet/run';
import { summarizeSlices, Trainer, type SliceReport, type TrainerCallbacks, type TrainingObserver, type TrainOutput } from '@tunefleet/trainer';
import { startBackend } from '../backend.ts';
import { CliConfigError } from '../cli-config-error.ts';
import { createProgressReporter, type ProgressReporter } from '../progress.ts';
import { withLocalModel } from '../hub-model.ts';
import type { TrainProcessOptions } from '../process-options.ts';
import { resolveTrainConfig } from '../run-config.ts';
import { startRunMonitor } from '../ui/run-monitor.ts';
import { runRegressionGate, scoreOptionsOf, writePromotion } from './compare.ts';
import { scoreModel, scoreSlices } from './evaluate.ts';
import { runQualityChecks, type RunQualityChecks } from './inspect-data.ts';

export interface TrainInput {
  configFile?: string;
  /** Command-line flags under their schema keys (snake_case); they override the config file. */
  flags: Record<string, unknown>;
  /** Data-parallel worker processes on this machine (`--workers N`); absent: this process trains. */
  workers?: number;
}

/** `tunefleet train`: the single-process fine-tuning run, or with `workers` a local cluster's job. */
export async function runTrain(input: TrainInput): Promise<number> {
  const config = await resolveTrainConfig(input.configFile, input.flags);
  // Flags that only mean something with --workers are refused before anything is fetched or written.
  if (input.workers === undefined) refuseWorkerOptions(config.options, config.source);
  // `--model ORG/NAME` becomes its snapshot in the Hugging Face cache, downloaded before anything starts.
  const { run, options, source } = await withLocalModel(config);
  const args = run.training_arguments;
  // Pre-flight: an unwritable --output-dir is named now, not after training (rank 0 of --workers N checks again).
  await checkOutputDirWritable(args.output_dir);
  if (input.workers !== undefined) {
    const prepared = await prepareRun(run, source);
    const { runLocalCluster } = await import('./local-cluster.ts');
    const code = await runLocalCluster({ run, options, workers: input.workers, source });
    // Rank 0 wrote the model and a first card; this process adds what only it knows (notes, checks, gate).
    return code !== 0 ? code : finishRun(run, prepared, await startBackend(options), input.workers);
  }
  const prepared = await prepareRun(run, source);

  const progress = createProgressReporter({
    isTty: Boolean(process.stderr.isTTY),
    disableBar: args.disable_tqdm,
    out: process.stdout,
    err: process.stderr,
  });
  const backend = await startBackend(options);
  const { model, tokenizer, trainSet, evalSet, computeMetrics, preprocessLogitsForMetrics, generationMetrics } = await loadRunInputs(
    run,
    // A freshly initialised head follows the run's seed (as transformers' set_seed does), as on workers.
    args.seed,
    (line) => progress.message(line),
  );
  await checkCheckpointRoom(args.output_dir, parameterCountOf(model), args.save_strategy); // pre-flight: a full disk now, not at the first save
  const metrics = await startTrainMetrics(options, args.output_dir, (line) => progress.message(line));
  // The live page (--ui-port) and report.html, from the Trainer's callbacks.
  const monitor = await startRunMonitor({
    outputDir: args.output_dir,
    configuration: { ...run, backend },
    ...(options.ui_port === undefined ? {} : { uiPort: options.ui_port }),
    uiHost: options.ui_host,
    say: (line) => progress.message(line),
  }).catch(async (error: unknown) => {
    await metrics.stop();
    throw error;
  });
  const trainer = new Trainer({
    model,
    args,
    trainDataset: trainSet,
    evalDataset: evalSet,
    computeMetrics,
    ...(preprocessLogitsForMetrics ? { preprocessLogitsForMetrics } : {}),
    ...(generationMetrics ? { generationMetrics } : {}),
    // One native call per optimizer step instead of ~10 tensor ops per parameter.
    fusedAdamWKernel: backend === 'native' ? adamwUpdate : undefined,
    saveExtras: (dir: string) => tokenizer.save(dir),
    callbacks: [progressCallback(progress), monitor.callbacks],
    ...(metrics.observer ? { observer: metrics.observer } : {}),
    log: (line: string) => progress.message(line),
  });
  monitor.stopOnSignal(() => trainer.requestStop());
  let result: TrainOutput;
  let failure: string | undefined;
  try {
    result = await trainer.train();
    if (evalSet) await trainer.evaluate();
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    progress.stop();
    model.dispose();
    await metrics.stop();
    await monitor.end(failure !== undefined ? 'FAILED' : monitor.isCancelled ? 'CANCELLED' : 'SUCCEEDED', failure);
  }
  process.stderr.write(`training done: ${result.globalStep} steps, train_loss ${result.trainingLoss.toFixed(4)}; model in ${args.output_dir}\n`);
  if (monitor.isCancelled) return 130; // stopped by a signal: saved, but not a finished run
  return finishRun(run, prepared, backend, 1);
}

/** Exit code of a run whose model was saved but failed its regression gate (not promoted). */
export const GATE_FAILED_EXIT_CODE = 3;

interface PreparedRun {
  readonly quality?: RunQualityChecks;
  readonly notes?: string;
}

/**
 * Before any training: the gate's and slices' settings checked, the card's notes read, and the fast
 * data-quality checks run and printed (a warning per problem, or that none was found).
 */
async function prepareRun(run: RunSpec, source: string): Promise<PreparedRun> {
  if ((run.gate !== undefined) !== (run.baseline_model !== undefined)) {
    throw new CliConfigError(`${source}: --baseline-model and --gate go together (the gate compares the new model with the baseline); give both or neither`);
  }
  for (const [field, flag] of [['baseline_model', '--baseline-model'], ['group_column', '--group-column']] as const) {
    if (run[field] !== undefined && !run.validation_file) {
      throw new CliConfigError(`${source}: ${field} (${flag}) scores the model on the validation file; give --validation-file`);
    }
  }
  if (run.baseline_model !== undefined && !existsSync(join(run.baseline_model, 'config.json'))) {
    throw new CliConfigError(`${source}: baseline_model (--baseline-model) ${run.baseline_model} has no config.json; give the directory of a trained model`);
  }
  const notes = run.model_card_notes === undefined ? undefined : await readModelCardNotes(run.model_card_notes);
  const quality = await runQualityChecks(run);
  if (quality === undefined) {
    process.stderr.write(`data quality: the checks read text-classification files; skipped for ${run.task}\n`);
  } else if (quality.warnings.length === 0) {
    const splits = quality.report.splits.map((split) => `${split.name} ${split.rows} rows`).join(', ');
    process.stderr.write(`data quality: no problems found (${splits}; run tunefleet inspect-data for near duplicates)\n`);
  } else {
    for (const warning of quality.warnings) process.stderr.write(`data quality warning: ${warning}\n`);
  }
  return { ...(quality === undefined ? {} : { quality }), ...(notes === undefined ? {} : { notes }) };
}

/**
 * After training: slice metrics (group_column) and the regression gate (baseline_model, gate) on
 * the validation file, promotion.json, and the model card. Non-zero when the gate failed.
 */
async function finishRun(run: RunSpec, prepared: PreparedRun, backend: string, worldSize: number): Promise<number> {
  const dir = run.training_arguments.output_dir;
  const validationFile = run.validation_file;
  const isScored = Boolean(validationFile) && (run.baseline_model !== undefined || run.group_column !== undefined);
  const candidate = isScored ? await scoreModel(dir, validationFile!, scoreOptionsOf(run)) : undefined;
  let slices: { column: string; report: SliceReport } | undefined;
  if (candidate !== undefined && run.group_column !== undefined) {
    slices = { column: run.group_column, report: await scoreSlices(candidate, validationFile!, run.group_column) };
    process.stderr.write(`slice metrics by ${run.group_column} on ${validationFile}:\n${summarizeSlices(slices.report).join('\n')}\n`);
  }
  const promotion = candidate !== undefined && run.baseline_model !== undefined ? await runRegressionGate(run, candidate) : undefined;
  if (promotion !== undefined) {
    for (const result of promotion.results) process.stderr.write(`${result.message}\n`);
    await writePromotion(dir, promotion);
  }
  const rows = Object.fromEntries((prepared.quality?.report.splits ?? []).map((split) => [split.name, split.rows]));
  const card = await writeRunModelCard({
    run,
    frameworkVersions: await frameworkVersions(backend),
    worldSize,
    rows,
    ...(prepared.quality === undefined ? {} : { dataQuality: prepared.quality.summary }),
    ...(slices === undefined ? {} : { slices }),
    ...(promotion === undefined ? {} : { gate: { baselineModel: promotion.baselineModel, results: promotion.results } }),
    ...(prepared.notes === undefined ? {} : { notes: prepared.notes }),
  });
  process.stderr.write(`model card: ${card}\n`);
  if (promotion === undefined) return 0;
  if (promotion.isPromoted) {
    process.stderr.write(`promoted: the model passed every gate against ${promotion.baselineModel} (${join(dir, 'promotion.json')})\n`);
    return 0;
  }
  process.stderr.write(
    `tunefleet: not promoted: the model in ${dir} failed the regression gate against ${promotion.baselineModel}; ` +
      `it is saved, and ${join(dir, 'promotion.json')} records "promoted": false\n`,
  );
  return GATE_FAILED_EXIT_CODE;
}

/**
 * `--metrics-port`: this process's /metrics, its run being rank 0 of a one-rank job named after the
 * output directory (progress and ETA included: there is no coordinator to export them).
 */
async function startTrainMetrics(
  options: TrainProcessOptions,
  outputDir: string,
  say: (line: string) => void,
): Promise<{ readonly observer?: TrainingObserver; stop(): Promise<void> }> {
  if (options.metrics_port === undefined) return { stop: async () => {} };
  const metrics = new TunefleetMetrics();
  const server = await startMetricsServer({ metrics, host: options.metrics_host, port: options.metrics_port, name: 'train', log: say });
  return { observer: new RankMetrics(metrics, { job: basename(resolve(outputDir)), rank: 0, isJobProgressExported: true }), stop: () => server.stop() };
}

/** The workers' settings mean nothing to one process; set anyway, they are a mistake to point out. */
function refuseWorkerOptions(options: TrainProcessOptions, source: string): void {
  const oneProcess = 'this run trains in one process';
  if (options.gradient_dtype !== 'f32') {
    throw new CliConfigError(`${source}: gradient_dtype ${options.gradient_dtype} (--gradient-dtype) applies to the all-reduce of --workers N; ${oneProcess}`);
  }
  if (options.collective_timeout_ms !== DEFAULT_COLLECTIVE_TIMEOUT_MS) {
    throw new CliConfigError(`${source}: collective_timeout_ms (--collective-timeout-ms) bounds the all-reduce of --workers N; ${oneProcess}`);
  }
  if (options.bind_cores) {
    throw new CliConfigError(`${source}: bind_cores (--bind-cores) pins the worker processes of --workers N; ${oneProcess}`);
  }
}

function progressCallback(progress: ProgressReporter): TrainerCallbacks {
  let startedAt = Date.now();
  return {
    onTrainBegin: (state) => {
      startedAt = Date.now();
      progress.start(state.maxSteps);
    },
    onLog: (entry) => progress.log(entry),
    onStepEnd: (state) => {
      const seconds = Math.max((Date.now() - startedAt) / 1000, 1e-3);
      progress.step({ step: state.globalStep, totalSteps: state.maxSteps, loss: Number.isNaN(state.loss) ? undefined : state.loss, samplesPerSecond: state.samplesSeen / seconds });
    },
  };
}
