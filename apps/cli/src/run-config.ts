import { readFile } from 'node:fs/promises';
import { overlayRunConfig, parseRunConfig, type RunSpec } from '@tunefleet/run';
import { parse as parseYaml } from 'yaml';
import { CliConfigError } from './cli-config-error.ts';
import { TrainProcessSchema, type TrainProcessOptions } from './process-options.ts';

/** Reads a YAML (or JSON) run config; its keys are snake_case. */
export async function readRunConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliConfigError(`${file}: cannot read config file (${(error as Error).message})`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new CliConfigError(`${file}: not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliConfigError(`${file}: expected a mapping of option names to values`);
  }
  return parsed as Record<string, unknown>;
}

export interface TrainConfig {
  readonly run: RunSpec;
  readonly options: TrainProcessOptions;
  /** Where the configuration came from, for messages. */
  readonly source: string;
}

/**
 * `tunefleet train`'s configuration: the YAML file's keys with the flags laid over them, parsed in
 * one pass into the RunSpec and this process's options (every invalid field of either is reported
 * in one RunSpecError).
 */
export function parseTrainConfig(fileConfig: Readonly<Record<string, unknown>>, flags: Readonly<Record<string, unknown>>, source: string): TrainConfig {
  const { run, extra } = parseRunConfig(overlayRunConfig(fileConfig, flags), source, TrainProcessSchema.shape);
  return { run, options: extra as TrainProcessOptions, source };
}

/** Reads `--config` (when given) and parses it with the flags. */
export async function resolveTrainConfig(configFile: string | undefined, flags: Readonly<Record<string, unknown>>): Promise<TrainConfig> {
  const fileConfig = configFile ? await readRunConfigFile(configFile) : {};
  return parseTrainConfig(fileConfig, flags, configFile ? `${configFile} (+ flags)` : 'command-line flags');
}
