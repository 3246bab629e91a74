import { Option } from 'commander';
import { CliConfigError, snakeToKebab } from './run-config.ts';

type FlagKind = 'number' | 'boolean' | 'string';

interface ZodLike {
  _zod?: { def: { type: string; innerType?: ZodLike; values?: unknown[]; entries?: Record<string, unknown>; options?: ZodLike[] } };
}

/** The scalar kind behind a zod field, looking through default/optional/nullable wrappers. */
export function flagKind(field: unknown): FlagKind {
  let current = field as ZodLike | undefined;
  for (let depth = 0; current?._zod && depth < 8; depth++) {
    const def = current._zod.def;
    if (def.type === 'number' || def.type === 'int') return 'number';
    if (def.type === 'boolean') return 'boolean';
    if (def.type === 'string' || def.type === 'enum' || def.type === 'literal') return 'string';
    if (def.type === 'union' && def.options?.length) {
      current = def.options.find((o) => o._zod?.def.type !== 'null') ?? def.options[0];
      continue;
    }
    current = def.innerType;
  }
  return 'string';
}

function parseBoolean(flag: string, value: string | undefined): boolean {
  if (value === undefined || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new CliConfigError(`--${flag}: expected true or false, got "${value}"`);
}

function parseNumber(flag: string, value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new CliConfigError(`--${flag}: expected a number, got "${value}"`);
  }
  return parsed;
}

/** One commander option per schema field, named in kebab-case (`learning_rate` -> `--learning-rate`). */
export function optionsFromShape(shape: Record<string, unknown>, skip: ReadonlySet<string>): Option[] {
  const options: Option[] = [];
  for (const [key, field] of Object.entries(shape)) {
    if (skip.has(key)) continue;
    const flag = snakeToKebab(key);
    const kind = flagKind(field);
    if (kind === 'boolean') {
      options.push(new Option(`--${flag} [bool]`, `TrainingArguments.${key}`).argParser((v: string) => parseBoolean(flag, v)));
    } else if (kind === 'number') {
      options.push(new Option(`--${flag} <n>`, `TrainingArguments.${key}`).argParser((v: string) => parseNumber(flag, v)));
    } else {
      options.push(new Option(`--${flag} <value>`, `TrainingArguments.${key}`));
    }
  }
  return options;
}

/** commander's camelCase option bag back to snake_case keys; undefined values are dropped. */
export function camelOptionsToSnake(options: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    result[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  }
  return result;
}
