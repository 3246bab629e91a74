import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseBertConfig, type BertConfig } from './bert-config.ts';
import { ConfigError } from './config-error.ts';

/** Reads and validates a Hugging Face config.json. */
export async function readBertConfig(file: string): Promise<BertConfig> {
  return parseBertConfig(await readConfigJson(file), file);
}

/** The parsed JSON of a config.json, unvalidated; unreadable and non-JSON files are ConfigErrors naming the file. */
export async function readConfigJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('CONFIG_READ_FAILED', file, `cannot read config: ${(cause as Error).message}`, [], { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('CONFIG_NOT_JSON', file, `not valid JSON: ${(cause as Error).message}`, [], { cause });
  }
}

/**
 * config.json text as Hugging Face writes it: keys sorted, 2-space indent, trailing newline.
 * Unknown keys the config was loaded with are kept.
 */
export function serializeBertConfig(config: BertConfig | Readonly<Record<string, unknown>>): string {
  return `${JSON.stringify(sortKeys(config), null, 2)}\n`;
}

/** Writes config.json atomically (temporary file, then rename). */
export async function writeBertConfig(file: string, config: BertConfig | Readonly<Record<string, unknown>>): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(temporary, serializeBertConfig(config), 'utf8');
    await rename(temporary, file);
  } catch (cause) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new ConfigError('CONFIG_READ_FAILED', file, `cannot write config: ${(cause as Error).message}`, [], { cause });
  }
}

/** config.json of any family, as Hugging Face writes it (the same rules as BERT's). */
export const writeModelConfig = writeBertConfig;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, item]) => [key, sortKeys(item)]));
}
