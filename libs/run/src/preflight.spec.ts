import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCheckpointRoom, checkLabelKinds, checkOutputDirWritable, checkpointBytes, checkSequenceLength, readPositionTable } from './preflight.ts';
import { PreflightError } from './preflight-error.ts';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'tunefleet-preflight-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function caught(action: () => unknown): Promise<PreflightError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(PreflightError);
    return error as PreflightError;
  }
  throw new Error('expected a PreflightError');
}

describe('checkOutputDirWritable', () => {
  it('probes a missing output directory where it will be created, creating nothing and leaving no probe', async () => {
    const before = await readdir(work);
    await checkOutputDirWritable(join(work, 'a', 'b'));
    expect(await readdir(work)).toEqual(before);
    await mkdir(join(work, 'existing'));
    await checkOutputDirWritable(join(work, 'existing'));
    expect(await readdir(join(work, 'existing'))).toEqual([]);
  });

  it('names the flag and the OS reason when the directory cannot be created', async () => {
    await writeFile(join(work, 'file'), 'x');
    const error = await caught(() => checkOutputDirWritable(join(work, 'file', 'out')));
    expect(error.code).toBe('OUTPUT_DIR_UNWRITABLE');
    expect(error.message).toMatch(/output_dir \(--output-dir\) .*file\/out is not writable \(ENOTDIR/);
  });
});

describe('checkCheckpointRoom', () => {
  const statfsOf = (freeBytes: number) => async () => ({ bavail: BigInt(freeBytes / 4096), bsize: 4096n });

  it('needs the weights plus two optimizer moments per checkpoint, the weights alone without checkpoints', () => {
    expect(checkpointBytes(1000, true)).toBe(12_000);
    expect(checkpointBytes(1000, false)).toBe(4000);
  });

  it('refuses a file system without room for one checkpoint, naming sizes and the flag', async () => {
    const params = 4 * 2 ** 20; // 16 MiB of f32 weights: a checkpoint is 48 MiB
    const error = await caught(() => checkCheckpointRoom(work, params, 'steps', { statfs: statfsOf(40 * 2 ** 20) }));
    expect(error.code).toBe('INSUFFICIENT_DISK_SPACE');
    expect(error.message).toMatch(/has 40\.0 MiB free, but one checkpoint \(16\.0 MiB of weights \+ 32\.0 MiB of optimizer state\) needs 48\.0 MiB/);
    expect(error.message).toMatch(/--output-dir/);
    await checkCheckpointRoom(work, params, 'steps', { statfs: statfsOf(48 * 2 ** 20) });
    await checkCheckpointRoom(work, params, 'no', { statfs: statfsOf(40 * 2 ** 20) }); // only the final model: 16 MiB
  });

  it('reads the real file system', async () => {
    await checkCheckpointRoom(work, 1000, 'steps');
    const error = await caught(() => checkCheckpointRoom(work, Number.MAX_SAFE_INTEGER / 16, 'steps'));
    expect(error.code).toBe('INSUFFICIENT_DISK_SPACE');
  });
});

describe('readPositionTable and checkSequenceLength', () => {
  const writeConfig = (config: Record<string, unknown>) => writeFile(join(work, 'config.json'), JSON.stringify(config));
  const rowsOf = (...lengths: number[]) => ({ size: lengths.length, length: (index: number) => lengths[index]! });

  it("refuses a row past a BERT model's position table, naming the flag, max_position_embeddings and the row", async () => {
    await writeConfig({ model_type: 'bert', max_position_embeddings: 64, hidden_size: 32, num_attention_heads: 4, intermediate_size: 64, num_hidden_layers: 2 });
    const table = await readPositionTable(work);
    expect(table).toMatchObject({ limit: 64, description: 'max_position_embeddings 64' });
    const lines: string[] = [];
    checkSequenceLength(table, 64, [{ file: 'train.csv', dataset: rowsOf(70, 80) }], (line) => lines.push(line)); // truncated to 64: fits
    expect(lines).toEqual([]);
    const error = await caught(() => checkSequenceLength(table, 100, [{ file: 'train.csv', dataset: rowsOf(10, 12) }, { file: 'dev.csv', dataset: rowsOf(9, 65, 11) }], () => {}));
    expect(error.code).toBe('MAX_SEQ_LENGTH_TOO_LONG');
    expect(error.message).toMatch(/max_seq_length \(--max-seq-length\) 100 is longer than the model's position table \(.*config\.json has max_position_embeddings 64\): row 2 of dev\.csv .* is 65 tokens long/);
    expect(error.message).toMatch(/Lower --max-seq-length to 64 or less/);
  });

  it('lets a run whose rows all fit go on, with a warning naming the flag', async () => {
    await writeConfig({ model_type: 'bert', max_position_embeddings: 32, hidden_size: 32, num_attention_heads: 4, intermediate_size: 64, num_hidden_layers: 2 });
    const lines: string[] = [];
    checkSequenceLength(await readPositionTable(work), 128, [{ file: 'train.csv', dataset: rowsOf(10, 32) }], (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/pre-flight warning: max_seq_length \(--max-seq-length\) 128 is longer .* no row is longer than 32 tokens, so training goes on/);
  });

  it("counts RoBERTa's positions after the padding index", async () => {
    await writeConfig({ model_type: 'roberta', max_position_embeddings: 514, pad_token_id: 1 });
    const table = await readPositionTable(work);
    expect(table).toMatchObject({ limit: 512, description: 'max_position_embeddings 514 (512 positions after pad_token_id 1)' });
    const error = await caught(() => checkSequenceLength(table, 513, [{ file: 'a.csv', dataset: rowsOf(513) }], () => {}));
    expect(error.code).toBe('MAX_SEQ_LENGTH_TOO_LONG');
  });

  it('leaves a directory without config.json to the model loader', async () => {
    expect(await readPositionTable(join(work, 'nothing-here'))).toBeUndefined();
    checkSequenceLength(undefined, 100_000, [{ file: 'a.csv', dataset: rowsOf(100_000) }], () => {});
  });
});

describe('checkLabelKinds', () => {
  it('refuses integers mixed with names, naming a line of each kind and the fix', async () => {
    const examples = [
      { line: 2, label: '0' },
      { line: 3, label: '1' },
      { line: 4, label: 'neg' },
      { line: 5, label: 'positive' },
    ];
    const error = await caught(() => checkLabelKinds('train.csv', 'label', examples));
    expect(error.code).toBe('LABELS_MIXED');
    expect(error.message).toMatch(/train\.csv: the label column "label" mixes integers and names: line 2 has "0", line 4 has "neg" \(4 distinct labels: 0, 1, neg, positive\)/);
    expect(error.message).toMatch(/all names or all integers/);
  });

  it('accepts labels of one kind', () => {
    checkLabelKinds('a.csv', 'label', [{ line: 2, label: '0' }, { line: 3, label: '-1' }, { line: 4, label: '10' }]);
    checkLabelKinds('a.csv', 'label', [{ line: 2, label: 'neg' }, { line: 3, label: 'pos' }, { line: 4, label: '1star' }]);
    checkLabelKinds('a.csv', 'label', [{ line: 2 }]);
  });
});
