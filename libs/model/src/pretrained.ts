import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readCheckpointWeights, validateShapes, type TensorData } from './checkpoint/index.ts';
import { numLabels, readModelConfig, type BertConfig, type ModelConfig } from './config/index.ts';
import type { AnyModelTask } from './trainable.ts';
import { sameShape, type BertModel } from './bert/bert-model.ts';
import { BertModelError } from './bert/bert-model-error.ts';
import { parameterSeed } from './bert/init-weights.ts';
import { architectureOf, familyOf, type CausalLanguageModel, type PretrainedModel } from './model-families.ts';
import type { Gpt2Config, LlamaConfig } from './config/index.ts';

export interface CreateModelOptions {
  /** Seed of the initial weights; the same seed gives the same model. */
  seed?: number;
}

/** A freshly initialised model (Hugging Face's `_init_weights`) of the config's family for `task`. */
export function createModel(config: BertConfig, task: AnyModelTask, options?: CreateModelOptions): BertModel;
export function createModel(config: Gpt2Config | LlamaConfig, task: 'causal-lm', options?: CreateModelOptions): CausalLanguageModel;
export function createModel(config: ModelConfig, task: AnyModelTask, options?: CreateModelOptions): PretrainedModel;
export function createModel(config: ModelConfig, task: AnyModelTask, options: CreateModelOptions = {}): PretrainedModel {
  const seed = options.seed ?? 42;
  const family = familyOf(config);
  architectureOf(config, task); // MODEL_TASK_UNSUPPORTED when the family has no such head
  const initial = new Map<string, tf.Tensor>();
  [...family.parameterShapes(config, task)].forEach(([name, shape], index) => {
    initial.set(name, family.initialParameter(config, name, shape, parameterSeed(seed, index)));
  });
  return buildModel(config, task, initial);
}

export interface LoadPretrainedOptions {
  task: AnyModelTask;
  /** Overrides the checkpoint's label count; names become LABEL_0.. unless id2label is given. */
  numLabels?: number;
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  /** Seed of the weights that are newly initialised (a missing or resized head). */
  seed?: number;
  log?: (line: string) => void;
}

export interface LoadReport {
  /** Parameters the checkpoint did not have (the head), freshly initialised. */
  newlyInitialized: string[];
  /** Checkpoint tensors the model does not use (e.g. `cls.seq_relationship.*` of a pre-training checkpoint). */
  unused: string[];
  /** Head parameters whose checkpoint shape differs (another label count), freshly initialised. */
  mismatched: string[];
}

/**
 * Loads `dir/config.json` and the weights (`model.safetensors`, sharded safetensors, `pytorch_model.bin`
 * or sharded .bin) as `from_pretrained` does: old gamma/beta
 * LayerNorm names and checkpoints without the `bert.` prefix are accepted; a missing or resized head
 * (classifier, pooler, MLM head) is freshly initialised with transformers' warning. Any other missing
 * weight or shape mismatch is an error naming the tensor.
 */
export async function loadPretrained(
  dir: string,
  options: LoadPretrainedOptions,
): Promise<{ model: PretrainedModel; config: ModelConfig; report: LoadReport }> {
  const { task } = options;
  const log = options.log ?? (() => undefined);
  const configFile = join(dir, 'config.json');
  // The family is config.json's model_type (else architectures[0]); an unsupported one is an error naming it.
  const config = withLabels(await readModelConfig(configFile), options, configFile);
  const family = familyOf(config);
  const architecture = architectureOf(config, task);
  const expected = family.parameterShapes(config, task);
  // model.safetensors, its sharded index, pytorch_model.bin or its index, in transformers' order.
  const { tensors, file: weightsFile } = await readCheckpointWeights(dir);
  const { renamed, ignored } = family.normalizeCheckpointNames(tensors, expected);

  const report: LoadReport = { newlyInitialized: [], unused: [], mismatched: [] };
  const mismatchLines: string[] = [];
  for (const [name, shape] of expected) {
    const found = renamed.get(name);
    if (found !== undefined && sameShape(found.shape, shape)) continue;
    if (!family.isHeadParameter(name)) {
      if (found === undefined) {
        throw new BertModelError('MISSING_WEIGHT', `${weightsFile}: tensor "${name}" is missing; the checkpoint does not match config.json (${architecture})`, name);
      }
      continue; // shape errors are reported all at once below
    }
    if (found === undefined) report.newlyInitialized.push(name);
    else {
      report.mismatched.push(name);
      mismatchLines.push(`- ${name}: found shape [${found.shape.join(', ')}] in the checkpoint and [${shape.join(', ')}] in the model instantiated`);
    }
  }
  const encoderShapes = new Map([...expected].filter(([name]) => !family.isHeadParameter(name)));
  validateShapes(renamed, encoderShapes, weightsFile);
  report.unused = [...renamed.keys()].filter((name) => !expected.has(name) && !ignored.has(name));

  const seed = options.seed ?? 42;
  const initial = new Map<string, tf.Tensor>();
  [...expected].forEach(([name, shape], index) => {
    const fresh = report.newlyInitialized.includes(name) || report.mismatched.includes(name);
    const data = renamed.get(name);
    initial.set(name, fresh || data === undefined ? family.initialParameter(config, name, shape, parameterSeed(seed, index)) : tf.tensor(data.data, shape));
  });
  const model = buildModel(config, task, initial);
  logReport(log, architecture, dir, report, mismatchLines);
  return { model, config, report };
}

/** Copies host tensors into the model's variables (best-model restore); names and shapes must match exactly. */
export function loadWeights(model: { readonly parameters: ReadonlyMap<string, tf.Variable> }, tensors: ReadonlyMap<string, TensorData>): void {
  for (const name of tensors.keys()) {
    if (!model.parameters.has(name)) throw new BertModelError('UNKNOWN_PARAMETER', `loadWeights: the model has no parameter "${name}"`, name);
  }
  for (const [name, variable] of model.parameters) {
    const data = tensors.get(name);
    if (data === undefined) throw new BertModelError('MISSING_WEIGHT', `loadWeights: no tensor for parameter "${name}"`, name);
    if (!sameShape(data.shape, variable.shape)) {
      throw new BertModelError('SHAPE_MISMATCH', `loadWeights: "${name}" is [${data.shape.join(', ')}], the parameter is [${variable.shape.join(', ')}]`, name);
    }
  }
  for (const [name, variable] of model.parameters) {
    const data = tensors.get(name)!;
    tf.tidy(() => variable.assign(tf.tensor(data.data, data.shape)));
  }
}

export { getWeights } from './bert/save-model.ts';

function buildModel(config: ModelConfig, task: AnyModelTask, initial: Map<string, tf.Tensor>): PretrainedModel {
  try {
    return familyOf(config).build(config, task, initial);
  } finally {
    tf.dispose([...initial.values()]);
  }
}

function withLabels(config: ModelConfig, options: LoadPretrainedOptions, file: string): ModelConfig {
  let id2label = options.id2label;
  if (id2label === undefined && options.label2id !== undefined) {
    id2label = Object.fromEntries(Object.entries(options.label2id).map(([label, id]) => [String(id), label]));
  }
  if (id2label === undefined && options.numLabels !== undefined && options.numLabels !== numLabels(config as { num_labels?: number })) {
    id2label = Object.fromEntries(Array.from({ length: options.numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
  }
  if (id2label === undefined) return config;
  const label2id = options.label2id ?? Object.fromEntries(Object.entries(id2label).map(([id, label]) => [label, Number(id)]));
  return familyOf(config).withLabels(config, { id2label, label2id }, `${file} (with the requested labels)`);
}

const TRAIN_HINT = 'You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.';

function logReport(log: (line: string) => void, architecture: string, dir: string, report: LoadReport, mismatchLines: string[]): void {
  if (report.unused.length > 0) {
    log(`Some weights of the model checkpoint at ${dir} were not used when initializing ${architecture}: ${pyList(report.unused)}`);
  }
  if (report.newlyInitialized.length > 0) {
    log(`Some weights of ${architecture} were not initialized from the model checkpoint at ${dir} and are newly initialized: ${pyList(report.newlyInitialized)}\n${TRAIN_HINT}`);
  }
  if (report.mismatched.length > 0) {
    log(`Some weights of ${architecture} were not initialized from the model checkpoint at ${dir} and are newly initialized because the shapes did not match:\n${mismatchLines.join('\n')}\n${TRAIN_HINT}`);
  }
}

/** Python's repr of a sorted list of strings, as transformers prints it. */
function pyList(names: string[]): string {
  return `[${[...names].sort().map((name) => `'${name}'`).join(', ')}]`;
}
