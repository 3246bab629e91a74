import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { formatError } from './format-error.ts';
import {
  COMPARE_FLAG_KEYS,
  CompareOptionsSchema,
  EVALUATE_FLAG_KEYS,
  InferenceOptionsSchema,
  InspectDataOptionsSchema,
  parseCompareOptions,
  parseInferenceOptions,
  parseInspectDataOptions,
  PREDICT_FLAG_KEYS,
} from './inference-options.ts';
import { MetricsOptionsSchema, parseMetricsOptions, parseProcessOptions, ProcessOptionsSchema } from './process-options.ts';
import { optionsFromShape } from './schema-flags.ts';
import { trainFlagValues, trainSchemaOptions } from './train-flags.ts';

// More local workers than cores only slows each step down; 64 is a typo guard, not a tuning value.
const MAX_LOCAL_WORKERS = 64;
// Inference holds no gradients or optimizer state, so it takes larger batches than training's 8.
const INFERENCE_BATCH_SIZE = 64;

function positiveInteger(flag: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
    throw new InvalidArgumentError(`${flag}: expected an integer from 1 to ${max}, got "${value}"`);
  }
  return parsed;
}

/** A repeatable flag's values in the order given (`--gate a --gate b`, `--model A --model B`). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function portNumber(flag: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError(`${flag}: expected a port from 0 to 65535, got "${value}"`);
  return parsed;
}

function addOptions(command: Command, options: readonly Option[]): Command {
  for (const option of options) command.addOption(option);
  return command;
}

/** --metrics-port and --metrics-host, from the schema `train` reads them with. */
function metricsPortOption(): Option {
  return optionsFromShape(MetricsOptionsSchema.shape, { only: ['metrics_port'] })[0]!;
}

function metricsHostOption(): Option {
  return optionsFromShape(MetricsOptionsSchema.shape, { only: ['metrics_host'] })[0]!;
}

/** --backend and --threads, from the schema `train` reads them with. */
function addBackendOptions(command: Command): Command {
  return addOptions(command, optionsFromShape(ProcessOptionsSchema.shape));
}

/** The run fields evaluate/predict share with train, and --backend/--threads (--model required: there is no config file). */
function inferenceOptions(keys: readonly string[]): Option[] {
  return optionsFromShape(InferenceOptionsSchema.shape, { only: keys }).map((option) => (option.long === '--model' ? option.makeOptionMandatory() : option));
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('tunefleet')
    .description('Fine-tune Hugging Face BERT checkpoints in TypeScript')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('init-model')
    .description('write a randomly initialised checkpoint (BERT, DistilBERT, RoBERTa, XLM-R, GPT-2, Llama or Qwen2 at miniature sizes)')
    .addOption(new Option('--preset <name>', 'model size').choices(['tiny', 'mini', 'small', 'base']).makeOptionMandatory())
    .addOption(new Option('--arch <family>', 'model family').choices(['bert', 'distilbert', 'roberta', 'xlm-roberta', 'gpt2', 'llama', 'qwen2', 'marian']).default('bert'))
    .requiredOption('--vocab <file>', 'vocab.txt (WordPiece: bert, distilbert) or a tokenizer.json (byte-level BPE: roberta, gpt2, llama, qwen2; Unigram: xlm-roberta; BPE or Unigram: marian)')
    .option('--num-labels <n>', 'classification labels of the head', (v) => Number(v), 2)
    .option('--task <task>', 'head: sequence-classification | token-classification | masked-lm (encoders); causal-lm (gpt2, llama, qwen2: their one head); translation (marian: its one head)', 'sequence-classification')
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
    .option('--config <file>', 'YAML file with the same keys in snake_case; flags override it')
    .option('--workers <n>', 'data-parallel worker processes on this machine (embedded coordinator); default: train in this process', (v) => positiveInteger('--workers', v, MAX_LOCAL_WORKERS));
  addOptions(train, trainSchemaOptions());
  train.action(async (options) => {
    const { runTrain } = await import('./commands/train.ts');
    const { config, workers } = options as { config?: string; workers?: number };
    setExit(await runTrain({ configFile: config, flags: trainFlagValues(options), workers }));
  });

  const evaluate = program
    .command('evaluate')
    .description('evaluate a model on a labelled file and print the metrics as JSON')
    .requiredOption('--file <file>', 'labelled data (.csv, .tsv, .jsonl)')
    .option('--batch-size <n>', 'evaluation batch size', (v) => positiveInteger('--batch-size', v), INFERENCE_BATCH_SIZE);
  addOptions(evaluate, inferenceOptions(EVALUATE_FLAG_KEYS)).action(async (options) => {
    const { runEvaluate } = await import('./commands/evaluate.ts');
    setExit(await runEvaluate({ ...parseInferenceOptions(options, 'evaluate flags'), file: options.file, batchSize: options.batchSize }));
  });

  const inspectData = program
    .command('inspect-data')
    .description('check data before training: labels, lengths, duplicates, near duplicates, conflicts, leakage, encoding')
    .option('--output <file>', 'write the full report as JSON');
  addOptions(inspectData, optionsFromShape(InspectDataOptionsSchema.shape)).action(async (options) => {
    const { runInspectData } = await import('./commands/inspect-data.ts');
    setExit(await runInspectData({ ...parseInspectDataOptions(options), output: options.output }));
  });

  program
    .command('train-tokenizer')
    .description('train a BPE tokenizer (Hugging Face BpeTrainer semantics) on text files, one sequence a line (.gz too)')
    .argument('<files...>', 'training text files')
    .addOption(new Option('--type <type>', 'pre-tokenisation: byte-level (GPT-2), metaspace (SentencePiece ▁) or whitespace').choices(['byte-level', 'metaspace', 'whitespace']).default('byte-level'))
    .option('--vocab-size <n>', 'vocabulary size, special tokens and alphabet included', (v) => positiveInteger('--vocab-size', v), 30000)
    .option('--min-frequency <n>', 'the least count of a pair that is merged', (v) => Number(v), 2)
    .option('--special-tokens <tokens>', 'special tokens, first in the vocabulary (repeatable or a comma list); default <|endoftext|> (byte-level), <pad>,</s>,<unk> (others)', collect)
    .requiredOption('--output <dir>', 'directory for tokenizer.json, tokenizer_config.json, special_tokens_map.json')
    .action(async (files: string[], options) => {
      const { runTrainTokenizer } = await import('./commands/train-tokenizer.ts');
      setExit(await runTrainTokenizer({ files, type: options.type, vocabSize: options.vocabSize, minFrequency: options.minFrequency, specialTokens: options.specialTokens, output: options.output }));
    });

  const compare = program
    .command('compare')
    .description('compare two models on one labelled file: both metrics, B - A with a paired bootstrap interval, per-class changes')
    .requiredOption('--model <dir>', 'model directory; give it twice: A (the current model), then B (the candidate)', collect)
    .requiredOption('--file <file>', 'labelled data (.csv, .tsv, .jsonl)')
    .option('--batch-size <n>', 'evaluation batch size', (v) => positiveInteger('--batch-size', v), INFERENCE_BATCH_SIZE)
    .option('--resamples <n>', 'bootstrap resamples', (v) => positiveInteger('--resamples', v), 1000)
    .option('--seed <n>', 'bootstrap seed', (v) => Number(v), 42);
  addOptions(compare, optionsFromShape(CompareOptionsSchema.shape, { only: COMPARE_FLAG_KEYS })).action(async (options) => {
    const { runCompare } = await import('./commands/compare.ts');
    setExit(
      await runCompare({
        ...parseCompareOptions(options),
        models: options.model,
        file: options.file,
        batchSize: options.batchSize,
        resamples: options.resamples,
        seed: options.seed,
      }),
    );
  });

  const predict = program
    .command('predict')
    .description('write one JSON object per input row: label, score, logits')
    .requiredOption('--input <file>', 'plain text (one per line), or .csv/.tsv/.jsonl')
    .requiredOption('--output <file>', 'output .jsonl')
    .option('--batch-size <n>', 'prediction batch size', (v) => positiveInteger('--batch-size', v), INFERENCE_BATCH_SIZE);
  addOptions(predict, inferenceOptions(PREDICT_FLAG_KEYS)).action(async (options) => {
    const { runPredict } = await import('./commands/predict.ts');
    setExit(await runPredict({ ...parseInferenceOptions(options, 'predict flags'), input: options.input, output: options.output, batchSize: options.batchSize }));
  });

  addBackendOptions(
    program
      .command('merge-adapter')
      .description("fold a LoRA adapter into its base model (PEFT's merge_and_unload) and save a plain model that loads without it")
      .requiredOption('--model <dir>', 'base causal LM directory in Hugging Face layout (GPT-2, Llama, Qwen2), or a hub repo id')
      .requiredOption('--adapter <dir>', 'PEFT LoRA adapter directory (adapter_config.json, adapter_model.safetensors)')
      .requiredOption('--output <dir>', 'directory of the merged model (config.json, model.safetensors, the base model\'s tokenizer files)'),
  ).action(async (options) => {
    const { runMergeAdapter } = await import('./commands/merge-adapter.ts');
    setExit(await runMergeAdapter({ ...parseProcessOptions(options, 'merge-adapter flags'), model: options.model, adapter: options.adapter, output: options.output }));
  });

  // chat and generate: --model/--adapter, generation_config.json's names as flags (checked by GenerationFlagsSchema in commands/generate.ts).
  const generationCommand = (command: Command): Command =>
    addBackendOptions(
      command
        .requiredOption('--model <dir>', 'causal LM directory in Hugging Face layout (GPT-2, Llama, Qwen2), or a hub repo id')
        .option('--adapter <dir>', 'PEFT LoRA adapter directory (adapter_config.json, adapter_model.safetensors) to apply on --model')
        .option('--max-new-tokens <n>', 'new tokens at most per answer (default: generation_config.json\'s, else 128)', (v) => positiveInteger('--max-new-tokens', v))
        .option('--do-sample [bool]', 'sample (temperature, top-k, top-p) instead of greedy search', (v) => v !== 'false')
        .option('--temperature <x>', 'sampling: divide the logits by this', Number)
        .option('--top-k <n>', 'sampling: keep the k most likely tokens (0: all)', Number)
        .option('--top-p <x>', 'sampling: keep the most likely tokens whose probabilities sum to p', Number)
        .option('--repetition-penalty <x>', 'penalise tokens already in the context (1: none)', Number)
        .option('--seed <n>', 'seed of the sampler (default 0)', Number),
    );

  generationCommand(
    program
      .command('chat')
      .description('talk to a causal language model in the terminal (streams the answer; /reset, /exit); with piped stdin, one message per line')
      .option('--system <text>', 'system message that opens the conversation'),
  ).action(async (options) => {
    const { runChat } = await import('./commands/chat.ts');
    const { generationCommandOptions } = await import('./commands/generate.ts');
    setExit(await runChat({ ...generationCommandOptions(options), ...(options.system === undefined ? {} : { system: options.system }) }));
  });

  generationCommand(
    program
      .command('generate')
      .description('one generation per input row: {"prompt": ...} continued as written, or {"messages": [...]} through the chat template')
      .requiredOption('--input <file>', 'JSON Lines of {"prompt": "..."} or {"messages": [{"role", "content"}]}')
      .requiredOption('--output <file>', 'output .jsonl: each row with generated_text, finish_reason, new_tokens'),
  ).action(async (options) => {
    const { generationCommandOptions, runGenerate } = await import('./commands/generate.ts');
    setExit(await runGenerate({ ...generationCommandOptions(options), input: options.input, output: options.output }));
  });

  addBackendOptions(
    program
      .command('translate')
      .description('translate every line of a file with an encoder-decoder (Marian): plain lines out, or {"source", "translation"} rows for a .jsonl output')
      .requiredOption('--model <dir>', 'translation model directory in Hugging Face layout, or a hub repo id')
      .requiredOption('--input <file>', 'source text, one sentence a line (.gz too)')
      .requiredOption('--output <file>', 'translations, one a line; .jsonl: {"source", "translation", "finish_reason"} rows')
      .option('--num-beams <n>', "beam search width (default: generation_config.json's)", (v) => positiveInteger('--num-beams', v))
      .option('--max-new-tokens <n>', "new tokens at most per translation (default: generation_config.json's max_length)", (v) => positiveInteger('--max-new-tokens', v))
      .option('--batch-size <n>', 'sources translated together (padded)', (v) => positiveInteger('--batch-size', v), 16)
      .option('--source-prefix <text>', 'text put before every line (T5: "translate English to German: ")')
      .option('--max-source-length <n>', "longest source in tokens; longer lines are cut and counted (default: the model's position table)", (v) => positiveInteger('--max-source-length', v)),
  ).action(async (options) => {
    const { runTranslate } = await import('./commands/translate.ts');
    const { model, input, output, numBeams, maxNewTokens, batchSize, sourcePrefix, maxSourceLength } = options as Record<string, never>;
    setExit(await runTranslate({ ...parseProcessOptions(options, 'translate flags'), model, input, output, numBeams, maxNewTokens, batchSize, sourcePrefix, maxSourceLength }));
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
      .option('--db <file>', 'SQLite file holding the jobs', 'tunefleet-coordinator.db')
      .option('--ui-port <n>', 'serve the live page (jobs, progress, curves, workers) on this port; 0 = any free port', (v) => portNumber('--ui-port', v))
      .option('--ui-host <host>', 'interface the live page binds (default loopback only)', '127.0.0.1')
      .addOption(metricsPortOption())
      .addOption(metricsHostOption()),
  ).action(async (options) => {
    const { runCoordinator } = await import('./commands/cluster.ts');
    setExit(await runCoordinator({ ...options, metrics: parseMetricsOptions(options, 'coordinator flags') }));
  });

  clusterAuth(
    addBackendOptions(
      program
        .command('worker')
        .description('run one worker: register with the coordinator, train its rank of the next job, exit')
        .requiredOption('--coordinator <host:port>', 'coordinator address')
        .option('--host <host>', 'interface the collective server binds (default loopback only; 0.0.0.0 for other machines)')
        .option('--port <n>', 'port of the collective server (0 = any free port)', (v) => portNumber('--port', v), 0)
        .option('--advertise-host <host>', 'host name peers dial to reach this worker (default --host, or the hostname for a wildcard)')
        .option('--worker-id <id>', 'stable worker id (default hostname-pid)')
        .option('--connect-timeout-ms <ms>', 'keep retrying an unreachable coordinator this long', (v) => positiveInteger('--connect-timeout-ms', v))
        .addOption(new Option('--stop-on-stdin-end', 'leave the job when stdin ends (set by train --workers)').hideHelp())
        .addOption(metricsPortOption())
        .addOption(metricsHostOption()),
    ),
  ).action(async (options) => {
    const { runWorkerCommand } = await import('./commands/worker.ts');
    setExit(await runWorkerCommand({ ...options, ...parseProcessOptions(options, 'worker flags'), metrics: parseMetricsOptions(options, 'worker flags') }));
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
      .description('show one job, or all jobs: state, workers (running / wanted) and progress')
      .requiredOption('--coordinator <host:port>', 'coordinator address'),
  ).action(async (job, options) => {
    const { runStatus } = await import('./commands/cluster.ts');
    setExit(await runStatus(job, options));
  });

  clusterAuth(
    program
      .command('scale <job>')
      .description('set how many workers a running job uses (Kubernetes mode: the coordinator scales its StatefulSet)')
      .requiredOption('--workers <n>', "worker count, within the job's [min_workers, max_workers]", (v) => positiveInteger('--workers', v))
      .requiredOption('--coordinator <host:port>', 'coordinator address'),
  ).action(async (job, options) => {
    const { runScale } = await import('./commands/cluster.ts');
    setExit(await runScale(job, options));
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

/** Runs the CLI; returns the process exit code (0 ok, 1 failed run, 2 usage error, 3 model saved but its regression gate failed). */
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
