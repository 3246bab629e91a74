import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The non-TrainingArguments half of a run: what run_glue calls ModelArguments and
 * DataTrainingArguments. Keys are snake_case, as in a Hugging Face YAML/JSON config.
 */
export const RunArgumentsSchema = z
  .object({
    model: z.string().min(1),
    task: z.enum(['sequence-classification']).default('sequence-classification'),
    train_file: z.string().min(1).optional(),
    validation_file: z.string().min(1).optional(),
    // Default: the first of text, sentence, sentence1 that the file has (libs/data decides).
    text_column: z.string().min(1).optional(),
    text_pair_column: z.string().min(1).optional(),
    label_column: z.string().min(1).default('label'),
    // BERT's position table holds 512; SST-2 sentences average 20 word pieces, so 128 loses nothing.
    max_seq_length: z.number().int().positive().default(128),
    skip_bad_rows: z.boolean().default(false),
    backend: z.enum(['auto', 'tensorflow', 'native', 'wasm', 'cpu']).default('auto'),
    threads: z.number().int().positive().optional(),
    // With --workers: the all-reduce's wire dtype. bf16 halves the bytes at ~3 significant digits.
    gradient_dtype: z.enum(['f32', 'bf16']).default('f32'),
    // With --workers: pin each worker process to its own CPU cores (as mpirun --bind-to core).
    bind_cores: z.boolean().default(false),
  })
  .strict();
export type RunArguments = z.infer<typeof RunArgumentsSchema>;

export const RUN_ARGUMENT_KEYS = new Set(Object.keys(RunArgumentsSchema.shape));

export class CliConfigError extends Error {
  readonly code = 'CLI_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'CliConfigError';
  }
}

/** Reads a YAML (or JSON) run config; its keys are snake_case. */
export async function readRunConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliConfigError(`${file}: cannot read config file (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new CliConfigError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliConfigError(`${file}: expected a mapping of option names to values`);
  }
  return parsed as Record<string, unknown>;
}

export function kebabToSnake(name: string): string {
  return name.replace(/-/g, '_');
}

export function snakeToKebab(name: string): string {
  return name.replace(/_/g, '-');
}

/** Splits one flat snake_case mapping into run arguments and TrainingArguments input. */
export function splitRunConfig(
  merged: Record<string, unknown>,
  source: string,
): { run: RunArguments; training: Record<string, unknown> } {
  const runInput: Record<string, unknown> = {};
  const training: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(merged)) {
    if (value === undefined) continue;
    if (RUN_ARGUMENT_KEYS.has(key)) runInput[key] = value;
    else training[key] = value;
  }
  const result = RunArgumentsSchema.safeParse(runInput);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const field = issue.path.join('.') || '(root)';
      return `  ${field} (--${snakeToKebab(field)}): ${issue.message}`;
    });
    throw new CliConfigError(`${source}: invalid run arguments:\n${problems.join('\n')}`);
  }
  return { run: Object.freeze(result.data), training };
}
