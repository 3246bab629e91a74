import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { positionLimit, readModelConfig } from '@tunefleet/model';
import { PreflightError } from './preflight-error.ts';

/**
 * Pre-flight (issue 10, part 7): what would otherwise fail after the work is done is checked before
 * the first step. `tunefleet train` checks the output directory before it reads anything, and room
 * for a checkpoint once the model is loaded; every rank of a job checks the sequence length and the
 * labels while it reads its inputs (`loadRunInputs`), rank 0 (the writer) the output directory and
 * the room.
 */

const OUTPUT_DIR = 'output_dir (--output-dir)';

/** Creates `outputDir` if needed and writes (then removes) a probe file in it, so an unwritable one is named now with the OS's reason. */
export async function checkOutputDirWritable(outputDir: string): Promise<void> {
  try {
    // The directory itself is created only when the run saves: a run stopped by bad input leaves no
    // output behind. The probe goes where the first save will create files: the directory if it
    // exists, else its nearest existing ancestor (where the save's mkdir will write).
    const where = await nearestExistingDir(resolve(outputDir));
    const probe = join(where, `.tunefleet-preflight-${randomBytes(4).toString('hex')}`);
    await writeFile(probe, 'tunefleet pre-flight probe\n', { flag: 'wx' });
    await unlink(probe);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PreflightError(
      'OUTPUT_DIR_UNWRITABLE',
      `${OUTPUT_DIR} ${outputDir} is not writable (${reason}); nothing was trained. Give a directory this process can create and write, ` +
        'on a file system that is not read-only.',
      { cause: error },
    );
  }
}

/** `dir` if it exists, else its closest existing ancestor; a file in the way is an error naming it. */
async function nearestExistingDir(dir: string): Promise<string> {
  for (let current = dir; ; current = dirname(current)) {
    const info = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (info !== undefined) {
      if (!info.isDirectory()) throw new Error(`${current} exists and is not a directory`);
      return current;
    }
    if (dirname(current) === current) return current;
  }
}

/** What `checkCheckpointRoom` needs of a file system: free blocks for this user and their size (node:fs statfs). */
export type StatFs = (path: string) => Promise<{ readonly bavail: number | bigint; readonly bsize: number | bigint }>;

/** Bytes one save needs: the f32 weights, plus AdamW's two f32 moments of each weight when checkpoints are written. */
export function checkpointBytes(parameterCount: number, isCheckpointing: boolean): number {
  return parameterCount * 4 * (isCheckpointing ? 3 : 1);
}

/** Number of scalars of a model (any object with a `parameters` map of sized variables). */
export function parameterCountOf(model: { readonly parameters: ReadonlyMap<string, { readonly size: number }> }): number {
  let count = 0;
  for (const variable of model.parameters.values()) count += variable.size;
  return count;
}

/**
 * Refuses a run whose output file system cannot hold one checkpoint (model + optimizer state, 3x the
 * weights) or, without checkpoints (`save_strategy` no), the final model: a full disk found at the
 * first save would leave an empty checkpoint behind after minutes or hours of training.
 */
export async function checkCheckpointRoom(
  outputDir: string,
  parameterCount: number,
  saveStrategy: string,
  options: { readonly statfs?: StatFs } = {},
): Promise<void> {
  const isCheckpointing = saveStrategy !== 'no';
  const neededBytes = checkpointBytes(parameterCount, isCheckpointing);
  let freeBytes: number;
  try {
    const stats = await (options.statfs ?? statfs)(outputDir);
    freeBytes = Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return; // a file system statfs cannot describe: the save itself reports a full disk
  }
  if (freeBytes >= neededBytes) return;
  const what = isCheckpointing
    ? `one checkpoint (${mib(parameterCount * 4)} of weights + ${mib(parameterCount * 8)} of optimizer state)`
    : `the final model (${mib(parameterCount * 4)})`;
  throw new PreflightError(
    'INSUFFICIENT_DISK_SPACE',
    `${OUTPUT_DIR} ${outputDir} has ${mib(freeBytes)} free, but ${what} needs ${mib(neededBytes)}; nothing was trained. ` +
      'Free space there or give another --output-dir.',
  );
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The longest input a model embeds, from its config.json: `limit` tokens, and how the file says so. */
export interface PositionTable {
  readonly file: string;
  readonly limit: number;
  /** e.g. `max_position_embeddings 512`. */
  readonly description: string;
}

/** The position table of the model in `modelDir`; undefined without config.json (the model loader names what is missing). */
export async function readPositionTable(modelDir: string): Promise<PositionTable | undefined> {
  const file = join(modelDir, 'config.json');
  if (!existsSync(file)) return undefined;
  const config = await readModelConfig(file);
  return { file, ...positionLimit(config) };
}

/** An encoded file whose rows the model will embed: token counts by row (its encoded rows, in file order). */
export interface EncodedFile {
  readonly file: string;
  readonly dataset: { readonly size: number; length(index: number): number };
}

/**
 * max_seq_length against the model's position table. Within it: nothing to say. Past it, a row
 * longer than the table (after truncation to max_seq_length) would fail at the first batch that
 * holds it, possibly many steps in, so it is refused now, naming the flag, the table and the row;
 * when every row fits (short sentences), the run goes on with a warning. Run after encoding,
 * before the model is loaded.
 */
export function checkSequenceLength(table: PositionTable | undefined, maxSeqLength: number, files: readonly EncodedFile[], log: (line: string) => void): void {
  if (table === undefined || maxSeqLength <= table.limit) return;
  let longest: { file: string; row: number; length: number } | undefined;
  for (const { file, dataset } of files) {
    for (let index = 0; index < dataset.size; index++) {
      const length = dataset.length(index);
      if (longest === undefined || length > longest.length) longest = { file, row: index + 1, length };
    }
  }
  const flag = `max_seq_length (--max-seq-length) ${maxSeqLength} is longer than the model's position table (${table.file} has ${table.description})`;
  if (longest !== undefined && longest.length > table.limit) {
    throw new PreflightError(
      'MAX_SEQ_LENGTH_TOO_LONG',
      `${flag}: row ${longest.row} of ${longest.file} (counting the rows read, header excluded) is ${longest.length} tokens long, and the model embeds at most ${table.limit}; ` +
        `nothing was trained. Lower --max-seq-length to ${table.limit} or less (longer rows are then truncated).`,
    );
  }
  log(`pre-flight warning: ${flag}; no row is longer than ${longest?.length ?? 0} tokens, so training goes on. Set --max-seq-length ${table.limit} or less to be safe.`);
}

const INTEGER_LIKE = /^[+-]?\d+$/;

/**
 * Labels of one kind: a label column that mixes integers and names (`0, 1, neg, positive`) would
 * silently become one class per spelling, so it is refused, naming a line of each kind. (Labels
 * all integers, or all names, are fine; a file's label map is built from them as before.)
 */
export function checkLabelKinds(file: string, column: string, examples: readonly { readonly line: number; readonly label?: string }[]): void {
  let integer: { line: number; label: string } | undefined;
  let name: { line: number; label: string } | undefined;
  const distinct = new Set<string>();
  for (const { line, label } of examples) {
    if (label === undefined) continue;
    distinct.add(label);
    if (INTEGER_LIKE.test(label)) integer ??= { line, label };
    else name ??= { line, label };
  }
  if (integer === undefined || name === undefined) return;
  const listed = [...distinct].slice(0, 10).join(', ') + (distinct.size > 10 ? ', ...' : '');
  throw new PreflightError(
    'LABELS_MIXED',
    `${file}: the label column "${column}" mixes integers and names: line ${integer.line} has ${JSON.stringify(integer.label)}, ` +
      `line ${name.line} has ${JSON.stringify(name.label)} (${distinct.size} distinct labels: ${listed}). They would become ${distinct.size} ` +
      'separate classes. Write every label one way, all names or all integers (e.g. replace 0 and 1 by the names they stand for).',
  );
}
