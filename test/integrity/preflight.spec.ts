// Failures 6 and 10 of issue 10, at the CLI: what used to fail after the work was done (an
// unwritable --output-dir, a full disk, a max_seq_length past the position table) or silently (a
// label column mixing integers and names) is refused before the first step, naming the flag.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeJobFolder, type JobFolder } from '../data-parallel/job-folder.ts';
import { removeTempDirs, tempDir, useCpu } from '../data-parallel/support.ts';
import { killAll, trainFlags, tunefleet } from '../support/cli.ts';

let root: string;
let folder: JobFolder;
beforeAll(async () => {
  await useCpu();
  root = await tempDir();
  folder = await writeJobFolder(root);
});
afterEach(killAll);
afterAll(removeTempDirs);

const NOTHING_TRAINED = /Running training/;

describe('pre-flight at `tunefleet train`', () => {
  it('an unwritable --output-dir is refused at once, naming the flag and the OS reason', async () => {
    await writeFile(join(root, 'a-file'), 'not a directory');
    const result = await tunefleet(trainFlags(folder, join(root, 'a-file', 'out'), ['--max-steps', '2']));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/output_dir \(--output-dir\) .*a-file\/out is not writable \(ENOTDIR[^)]*\).*\[OUTPUT_DIR_UNWRITABLE\]/s);
    expect(result.stderr + result.stdout).not.toMatch(NOTHING_TRAINED);
  }, 60_000);

  it("--max-seq-length past the model's position table is refused at start when a row would not fit, naming --max-seq-length, max_position_embeddings and the row", async () => {
    // The job folder's model has max_position_embeddings 32; row 3 below is 42 tokens with [CLS] and [SEP].
    const file = join(root, 'long.tsv');
    const long = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'good' : 'w1')).join(' ');
    await writeFile(file, ['sentence\tlabel', 'good fine\t1', 'bad dull\t0', `${long}\t1`, 'awful\t0'].join('\n') + '\n');
    const result = await tunefleet(trainFlags({ ...folder, trainFile: file }, join(root, 'out-seq'), ['--max-steps', '2', '--max-seq-length', '64']));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /max_seq_length \(--max-seq-length\) 64 is longer than the model's position table \(.*config\.json has max_position_embeddings 32\): row 3 of .*long\.tsv .* is 42 tokens long.*\[MAX_SEQ_LENGTH_TOO_LONG\]/s,
    );
    expect(result.stderr + result.stdout).not.toMatch(NOTHING_TRAINED);
    // Every row fits: the run goes on, with a warning naming the flag.
    const short = await tunefleet(trainFlags(folder, join(root, 'out-seq-short'), ['--max-steps', '1', '--max-seq-length', '64']));
    expect(short.code, short.stderr).toBe(0);
    expect(short.stderr + short.stdout).toMatch(/pre-flight warning: max_seq_length \(--max-seq-length\) 64 is longer than the model's position table .* so training goes on/);
    // Past any BERT's table (512), the flag's own check refuses it before the model is read.
    const huge = await tunefleet(trainFlags(folder, join(root, 'out-seq'), ['--max-steps', '2', '--max-seq-length', '100000']));
    expect(huge.code).toBe(1);
    expect(huge.stderr).toMatch(/max_seq_length \(--max-seq-length\): .*100000/);
  }, 120_000);

  it('a label column mixing integers and names is an error naming the file, a line of each kind and the fix', async () => {
    const file = join(root, 'mixed.csv');
    await writeFile(file, ['sentence,label', 'good fine,0', 'bad dull,1', 'awful slow,neg', 'great warm,positive', 'lovely,1'].join('\n') + '\n');
    const result = await tunefleet(trainFlags({ ...folder, trainFile: file }, join(root, 'out-labels'), ['--max-steps', '2']));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /mixed\.csv: the label column "label" mixes integers and names: line 2 has "0", line 4 has "neg" \(4 distinct labels: 0, 1, neg, positive\).*all names or all integers.*\[LABELS_MIXED\]/s,
    );
    expect(existsSync(join(root, 'out-labels', 'model.safetensors'))).toBe(false);
  }, 60_000);

  // A file system with less room than one checkpoint: a 64 KiB tmpfs, where this machine lets the test mount one (root in a container).
  const small = join(process.env['TMPDIR'] ?? '/tmp', `tunefleet-small-fs-${process.pid}`);
  const canMount = (() => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
    try {
      execFileSync('mkdir', ['-p', small]);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  afterAll(() => {
    if (canMount) execFileSync('umount', [small]);
    execFileSync('rm', ['-rf', small]);
  });

  it.skipIf(!canMount)('a file system without room for one checkpoint is refused before the first step, naming the sizes', async () => {
    await mkdir(join(small, 'out'), { recursive: true });
    const result = await tunefleet(trainFlags(folder, join(small, 'out'), ['--max-steps', '2', '--save-strategy', 'steps', '--save-steps', '1']));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/output_dir \(--output-dir\) .*out has \d+\.\d MiB free, but one checkpoint .* needs \d+\.\d MiB.*\[INSUFFICIENT_DISK_SPACE\]/s);
    expect(result.stderr + result.stdout).not.toMatch(/Step 1|"step":1/);
  }, 60_000);
});
