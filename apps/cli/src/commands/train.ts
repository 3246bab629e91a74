import { adamwUpdate } from '@tunefleet/native-kernels';
import { DEFAULT_COLLECTIVE_TIMEOUT_MS, loadRunInputs } from '@tunefleet/run';
import { Trainer, type TrainerCallbacks, type TrainOutput } from '@tunefleet/trainer';
import { startBackend } from '../backend.ts';
import { CliConfigError } from '../cli-config-error.ts';
import { createProgressReporter, type ProgressReporter } from '../progress.ts';
import type { TrainProcessOptions } from '../process-options.ts';
import { resolveTrainConfig } from '../run-config.ts';

export interface TrainInput {
  configFile?: string;
  /** Command-line flags under their schema keys (snake_case); they override the config file. */
  flags: Record<string, unknown>;
  /** Data-parallel worker processes on this machine (`--workers N`); absent: this process trains. */
  workers?: number;
}

/** `tunefleet train`: the single-process fine-tuning run, or with `workers` a local cluster's job. */
export async function runTrain(input: TrainInput): Promise<number> {
  const { run, options, source } = await resolveTrainConfig(input.configFile, input.flags);
  const args = run.training_arguments;
  if (input.workers !== undefined) {
    const { runLocalCluster } = await import('./local-cluster.ts');
    return runLocalCluster({ run, options, workers: input.workers, source });
  }
  refuseWorkerOptions(options, source);

  const progress = createProgressReporter({
    isTty: Boolean(process.stderr.isTTY),
    disableBar: args.disable_tqdm,
    out: process.stdout,
    err: process.stderr,
  });
  const backend = await startBackend(options);
  const { model, tokenizer, trainSet, evalSet, computeMetrics } = await loadRunInputs(
    run,
    // A freshly initialised head follows the run's seed (as transformers' set_seed does), as on workers.
    args.seed,
    (line) => progress.message(line),
  );
  const trainer = new Trainer({
    model,
    args,
    trainDataset: trainSet,
    evalDataset: evalSet,
    computeMetrics,
    // One native call per optimizer step instead of ~10 tensor ops per parameter.
    fusedAdamWKernel: backend === 'native' ? adamwUpdate : undefined,
    saveExtras: (dir: string) => tokenizer.save(dir),
    callbacks: [progressCallback(progress)],
    log: (line: string) => progress.message(line),
  });
  let result: TrainOutput;
  try {
    result = await trainer.train();
    if (evalSet) await trainer.evaluate();
  } finally {
    progress.stop();
    model.dispose();
  }
  process.stderr.write(`training done: ${result.globalStep} steps, train_loss ${result.trainingLoss.toFixed(4)}; model in ${args.output_dir}\n`);
  return 0;
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
