import { z } from 'zod';

/**
 * The command-line flag of a schema field, without dashes: `meta({ flag })` where the flag differs
 * from the key (`model_name_or_path` -> `model`), else the key in kebab-case (`max_seq_length` ->
 * `max-seq-length`), as transformers' HfArgumentParser spells its flags.
 */
export function flagOf(key: string, field: unknown): string {
  const flag = field instanceof z.ZodType ? field.meta()?.['flag'] : undefined;
  return typeof flag === 'string' ? flag : key.replace(/_/g, '-');
}

/** The help text of a schema field (zod `.describe()`), or undefined. */
export function helpOf(field: unknown): string | undefined {
  return field instanceof z.ZodType ? field.description : undefined;
}
