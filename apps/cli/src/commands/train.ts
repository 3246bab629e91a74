import { readExamples, encodeExamples, type ExampleSet } from '@tunefleet/data';
import { loadPretrained } from '@tunefleet/model';
import { adamwUpdate } from '@tunefleet/native-kernels';
import { BertTokenizer } from '@tunefleet/tokenizer';
import { classificationComputeMetrics, parseTrainingArguments, Trainer, type TrainerCallbacks, type TrainOutput } from '@tunefleet/trainer';
import { startBackend } from '../backend.ts';
import { createProgressReporter, type ProgressReporter } from '../progress.ts';
import { CliConfigError, readRunConfigFile, splitRunConfig, type RunArguments } from '../run-config.ts';

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
  const tokenizer = await BertTokenizer.fromPretrained(run.model);
  const trainSet = await readLabelled(run.train_file, run);
  const labelMap = trainSet.labelMap!;
  const evalSet = run.validation_file ? await readLabelled(run.validation_file, run, labelMap) : undefined;
  for (const set of [trainSet, evalSet]) {
    if (set && set.badRows.length > 0) progress.message(`${set.file}: skipped ${set.badRows.length} bad rows`);
  }

  const { model } = await loadPretrained(run.model, {
    task: run.task,
    numLabels: Object.keys(labelMap.label2id).length,
    id2label: labelMap.id2label,
    label2id: labelMap.label2id,
    // A freshly initialised head follows the run's seed (as transformers' set_seed does), like the workers.
    seed: args.seed,
    log: (line: string) => progress.message(line),
  });
  const encode = (set: ExampleSet) =>
    encodeExamples(set.examples, tokenizer, { maxLength: run.max_seq_length, padId: tokenizer.padTokenId });
  const numLabels = Object.keys(labelMap.label2id).length;
  const trainer = new Trainer({
    model,
    args,
    trainDataset: encode(trainSet),
    evalDataset: evalSet ? encode(evalSet) : undefined,
    computeMetrics: classificationComputeMetrics(numLabels),
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

function readLabelled(file: string, run: RunArguments, labelMap?: ExampleSet['labelMap']): Promise<ExampleSet> {
  return readExamples(file, {
    textColumn: run.text_column,
    textPairColumn: run.text_pair_column,
    labelColumn: run.label_column,
    labelMap,
    skipBadRows: run.skip_bad_rows,
  });
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
