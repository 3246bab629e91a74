import { Option } from 'commander';
import { flagOf, helpOf } from '@tunefleet/run';
import { CliConfigError } from './cli-config-error.ts';

type FlagKind = 'number' | 'boolean' | 'string' | 'list';

interface ZodDef {
  type: string;
  innerType?: ZodLike;
  defaultValue?: unknown;
  entries?: Record<string, unknown>;
  options?: ZodLike[];
  element?: ZodLike;
}

interface ZodLike {
  _zod?: { def: ZodDef };
}

/** The defs of a zod field from the outside in, through default/optional/nullable wrappers. */
function* defsOf(field: unknown): Generator<ZodDef> {
  let current = field as ZodLike | undefined;
  for (let depth = 0; current?._zod && depth < 8; depth++) {
    const def = current._zod.def;
    yield def;
    current = def.type === 'union' && def.options?.length ? (def.options.find((o) => o._zod?.def.type !== 'null') ?? def.options[0]) : def.innerType;
  }
}

/** The kind behind a zod field, looking through default/optional/nullable wrappers (`list`: an array field). */
export function flagKind(field: unknown): FlagKind {
  for (const def of defsOf(field)) {
    if (def.type === 'array') return 'list';
    if (def.type === 'number' || def.type === 'int') return 'number';
    if (def.type === 'boolean') return 'boolean';
    if (def.type === 'string' || def.type === 'enum' || def.type === 'literal') return 'string';
  }
  return 'string';
}

/** The kind of an array field's elements. */
function elementKind(field: unknown): FlagKind {
  for (const def of defsOf(field)) if (def.type === 'array') return flagKind(def.element);
  return 'string';
}

/** The schema's default, its choices and its description, as one help line. */
function helpText(key: string, field: unknown, fallbackPrefix: string): string {
  let defaultValue: unknown;
  let choices: string[] | undefined;
  for (const def of defsOf(field)) {
    if (def.type === 'default' && defaultValue === undefined) defaultValue = def.defaultValue;
    if (def.type === 'enum' && def.entries) choices = Object.values(def.entries).map(String);
  }
  const parts = [helpOf(field) ?? `${fallbackPrefix}${key}`];
  if (choices !== undefined) parts.push(`(one of: ${choices.join(', ')})`);
  if (defaultValue !== undefined && defaultValue !== null) parts.push(`(default: ${JSON.stringify(defaultValue)})`);
  return parts.join(' ');
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

export interface ShapeFlagOptions {
  /** Only these keys (default: every key of the shape). */
  readonly only?: readonly string[];
  readonly skip?: ReadonlySet<string>;
  /** Help for fields without a description: this prefix and the key (`TrainingArguments.`). */
  readonly fallbackHelp?: string;
}

/**
 * One commander option per schema field, named by `flagOf` (`learning_rate` -> `--learning-rate`,
 * `model_name_or_path` -> `--model`), with the field's help, choices and default in its help text.
 * No commander defaults: an unset flag must not override a config file; the schema fills defaults.
 */
export function optionsFromShape(shape: Record<string, unknown>, options: ShapeFlagOptions = {}): Option[] {
  const keys = options.only ?? Object.keys(shape);
  return keys
    .filter((key) => !options.skip?.has(key))
    .map((key) => {
      const field = shape[key];
      const flag = flagOf(key, field);
      const help = helpText(key, field, options.fallbackHelp ?? '');
      const kind = flagKind(field);
      if (kind === 'boolean') return new Option(`--${flag} [bool]`, help).argParser((v: string) => parseBoolean(flag, v));
      if (kind === 'number') return new Option(`--${flag} <n>`, help).argParser((v: string) => parseNumber(flag, v));
      if (kind === 'list') {
        // An array field: the flag repeats, each one adds an element (`--gate a --gate b`).
        const element = elementKind(field);
        return new Option(`--${flag} <value>`, `${help} (repeatable)`).argParser((v: string, previous: unknown[] | undefined) => [
          ...(previous ?? []),
          element === 'number' ? parseNumber(flag, v) : element === 'boolean' ? parseBoolean(flag, v) : v,
        ]);
      }
      return new Option(`--${flag} <value>`, help);
    });
}

/** commander's camelCase option bag back to the schemas' snake_case keys; unset flags are dropped. */
export function optionValuesToKeys(values: Record<string, unknown>, ...shapes: Record<string, unknown>[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const shape of shapes) {
    for (const [key, field] of Object.entries(shape)) {
      const attribute = flagOf(key, field).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      if (values[attribute] !== undefined) result[key] = values[attribute];
    }
  }
  return result;
}
