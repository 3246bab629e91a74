import { adamwUpdate } from '@tunefleet/native-kernels';
import { parseTrainingArguments, Trainer, type TrainerCallbacks, type TrainOutput } from '@tunefleet/trainer';
import { loadRunInputs } from '@tunefleet/worker';
import { startBackend } from '../backend.ts';
import { createProgressReporter, type ProgressReporter } from '../progress.ts';
import { CliConfigError, readRunConfigFile, splitRunConfig } from '../run-config.ts';

export interface TrainInput {
  configFile?: string;
  /** Command-line flags, snake_case; they override the config file. */
  flags: Record<string, unknown>;
  /** Data-parallel worker processes on this machine (`--workers N`); absent: this process trains. */
  workers?: number;
}

/** `tunefleet train`: the single-process fine-tuning run. */
export async function runTrain(input: TrainInput): Promise<number> {
  const fileConfig = input.configFile ? await readRunConfigFile(input.configFile) : {};
  const source = input.configFile ? `${input.configFile} (+ flags)` : 'command-line flags';
  const { run, training } = splitRunConfig({ ...fileConfig, ...input.flags }, source);
  const args = parseTrainingArguments(training, source);
  if (!run.train_file) throw new CliConfigError(`${source}: train_file (--train-file) is required`);
  if (input.workers === undefined && run.gradient_dtype !== 'f32') {
    throw new CliConfigError(`${source}: gradient_dtype ${run.gradient_dtype} (--gradient-dtype) applies to the all-reduce of --workers N; this run trains in one process`);
  }
  if (input.workers === undefined && run.bind_cores) {
    throw new CliConfigError(`${source}: bind_cores (--bind-cores) pins the worker processes of --workers N; this run trains in one process`);
  }
  if (input.workers !== undefined) {
    const { runLocalCluster } = await import('./local-cluster.ts');
    return runLocalCluster({ run, args, workers: input.workers, source });
  }

  const progress = createProgressReporter({
    isTty: Boolean(process.stderr.isTTY),
    disableBar: args.disable_tqdm,
    out: process.stdout,
    err: process.stderr,
  });
  const backend = await startBackend(run);
  const { model, tokenizer, trainSet, evalSet, computeMetrics } = await loadRunInputs(
    {
      model: run.model,
      task: run.task,
      trainFile: run.train_file,
      validationFile: run.validation_file,
      textColumn: run.text_column,
      textPairColumn: run.text_pair_column,
      labelColumn: run.label_column,
      maxSeqLength: run.max_seq_length,
      skipBadRows: run.skip_bad_rows,
    },
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
