import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { TrainingArgumentsSchema } from '@tunefleet/trainer';
import { RUN_ARGUMENT_KEYS } from './run-config.ts';
import { camelOptionsToSnake, optionsFromShape } from './schema-flags.ts';
import { formatError } from './errors.ts';

const BACKENDS = ['auto', 'tensorflow', 'native', 'wasm', 'cpu'];
// More local workers than cores only slows each step down; 64 is a typo guard, not a tuning value.
const MAX_LOCAL_WORKERS = 64;

function positiveInteger(flag: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
    throw new InvalidArgumentError(`${flag}: expected an integer from 1 to ${max}, got "${value}"`);
  }
  return parsed;
}

function addBackendOptions(command: Command): Command {
  return command
    .addOption(new Option('--backend <name>', 'compute backend').choices(BACKENDS))
    .addOption(new Option('--threads <n>', 'CPU threads for the native backend').argParser((v) => Number(v)));
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('tunefleet')
    .description('Fine-tune Hugging Face BERT checkpoints in TypeScript')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('init-model')
    .description('write a randomly initialised BERT checkpoint (Google miniature presets)')
    .addOption(new Option('--preset <name>', 'model size').choices(['tiny', 'mini', 'small', 'base']).makeOptionMandatory())
    .requiredOption('--vocab <file>', 'vocab.txt of the WordPiece tokenizer')
    .option('--num-labels <n>', 'classification labels of the head', (v) => Number(v), 2)
    .option('--task <task>', 'head: sequence-classification | token-classification | masked-lm', 'sequence-classification')
    .option('--seed <n>', 'initialisation seed', (v) => Number(v), 42)
    .option('--uncased [bool]', 'lower-case text (bert-base-uncased style)', (v) => v !== 'false', true)
    .requiredOption('--output <dir>', 'output directory')
    .action(async (options) => {
      const { runInitModel } = await import('./commands/init-model.ts');
      setExit(await runInitModel(options));
    });

  const train = program
    .command('train')
    .description('fine-tune a model (flags follow run_glue and TrainingArguments, kebab-case)')
    .option('--config <file>', 'YAML file with the same keys in snake_case')
    .option('--model <dir>', 'pretrained model directory (config.json, model.safetensors, tokenizer)')
    .option('--task <task>', 'sequence-classification')
    .option('--train-file <file>', 'training data (.csv, .tsv, .jsonl)')
    .option('--validation-file <file>', 'evaluation data')
    .option('--text-column <name>', 'column holding the text')
    .option('--text-pair-column <name>', 'column holding the second text of a pair')
    .option('--label-column <name>', 'column holding the label')
    .option('--max-seq-length <n>', 'truncate/pad to at most this many tokens', (v) => Number(v))
    .option('--skip-bad-rows [bool]', 'skip and count bad rows instead of stopping', (v) => v !== 'false')
    .option('--workers <n>', 'data-parallel worker processes on this machine (embedded coordinator); default: train in this process', (v) => positiveInteger('--workers', v, MAX_LOCAL_WORKERS))
    .addOption(new Option('--gradient-dtype <dtype>', 'with --workers: gradients on the wire as f32 (exact) or bf16 (half the bytes)').choices(['f32', 'bf16']))
    .option('--bind-cores', 'with --workers: pin each worker to its own CPU cores (--threads of them, default cores / workers), as mpirun --bind-to core');
  addBackendOptions(train);
  for (const option of optionsFromShape(TrainingArgumentsSchema.shape, RUN_ARGUMENT_KEYS)) train.addOption(option);
  train.action(async (options) => {
    const { runTrain } = await import('./commands/train.ts');
    const { config, workers, ...flags } = options as Record<string, unknown>;
    setExit(await runTrain({ configFile: config as string | undefined, flags: camelOptionsToSnake(flags), workers: workers as number | undefined }));
  });

  const evaluate = program
    .command('evaluate')
    .description('evaluate a model on a labelled file and print the metrics as JSON')
    .requiredOption('--model <dir>', 'model directory')
    .requiredOption('--file <file>', 'labelled data (.csv, .tsv, .jsonl)')
    .option('--text-column <name>', 'column holding the text', 'sentence')
    .option('--text-pair-column <name>', 'column holding the second text of a pair')
    .option('--label-column <name>', 'column holding the label', 'label')
    .option('--max-seq-length <n>', 'maximum tokens', (v) => Number(v), 128)
    .option('--batch-size <n>', 'evaluation batch size', (v) => Number(v), 64);
  addBackendOptions(evaluate).action(async (options) => {
    const { runEvaluate } = await import('./commands/evaluate.ts');
    setExit(await runEvaluate(options));
  });

  const predict = program
    .command('predict')
    .description('write one JSON object per input row: label, score, logits')
    .requiredOption('--model <dir>', 'model directory')
    .requiredOption('--input <file>', 'plain text (one per line), or .csv/.tsv/.jsonl')
    .requiredOption('--output <file>', 'output .jsonl')
    .option('--text-column <name>', 'column holding the text (data files)', 'sentence')
    .option('--text-pair-column <name>', 'column holding the second text of a pair')
    .option('--max-seq-length <n>', 'maximum tokens', (v) => Number(v), 128)
    .option('--batch-size <n>', 'prediction batch size', (v) => Number(v), 64);
  addBackendOptions(predict).action(async (options) => {
    const { runPredict } = await import('./commands/predict.ts');
    setExit(await runPredict(options));
  });

  const clusterAuth = (command: Command): Command =>
    command
      .option('--token <token>', 'cluster token (default: $TUNEFLEET_TOKEN)')
      .option('--tls-cert <file>', 'TLS certificate (PEM)')
      .option('--tls-key <file>', 'TLS private key (PEM)')
      .option('--tls-ca <file>', 'CA certificate (PEM)');

  clusterAuth(
    program
      .command('coordinator')
      .description('run the coordinator: accepts jobs, schedules workers, serves progress')
      .option('--host <host>', 'address to bind (default loopback only)', '127.0.0.1')
      .option('--port <n>', 'port (0 = any free port)', (v) => Number(v), 50051)
      .option('--db <file>', 'SQLite file holding the jobs', 'tunefleet-coordinator.db'),
  ).action(async (options) => {
    const { runCoordinator } = await import('./commands/cluster.ts');
    setExit(await runCoordinator(options));
  });

  clusterAuth(
    addBackendOptions(
      program
        .command('worker')
        .description('run one worker: register with the coordinator, train its rank of the next job, exit')
        .requiredOption('--coordinator <host:port>', 'coordinator address')
        .option('--host <host>', 'interface the collective server binds (default loopback only; 0.0.0.0 for other machines)')
        .option('--advertise-host <host>', 'host name peers dial to reach this worker (default --host, or the hostname for a wildcard)')
        .option('--worker-id <id>', 'stable worker id (default hostname-pid)')
        .option('--connect-timeout-ms <ms>', 'keep retrying an unreachable coordinator this long', (v) => positiveInteger('--connect-timeout-ms', v))
        .addOption(new Option('--stop-on-stdin-end', 'leave the job when stdin ends (set by train --workers)').hideHelp()),
    ),
  ).action(async (options) => {
    const { runWorkerCommand } = await import('./commands/worker.ts');
    setExit(await runWorkerCommand(options));
  });

  clusterAuth(
    program
      .command('submit <job.yaml>')
      .description('queue a fine-tuning job on a running cluster')
      .requiredOption('--coordinator <host:port>', 'coordinator address')
      .option('--watch', 'follow the job until it ends'),
  ).action(async (file, options) => {
    const { runSubmit } = await import('./commands/cluster.ts');
    setExit(await runSubmit(file, options));
  });

  clusterAuth(
    program
      .command('status [job]')
      .description('show one job, or all jobs')
      .requiredOption('--coordinator <host:port>', 'coordinator address'),
  ).action(async (job, options) => {
    const { runStatus } = await import('./commands/cluster.ts');
    setExit(await runStatus(job, options));
  });

  clusterAuth(
    program
      .command('cancel <job>')
      .description('cancel a job')
      .requiredOption('--coordinator <host:port>', 'coordinator address'),
  ).action(async (job, options) => {
    const { runCancel } = await import('./commands/cluster.ts');
    setExit(await runCancel(job, options));
  });

  return program;
}

/** Runs the CLI; returns the process exit code (0 ok, 1 failed run, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`tunefleet: ${formatError(error)}\n`);
    return 1;
  }
}
