import { execFile } from 'node:child_process';
import { shouldRunTorchReference } from '../test-support.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBertConfig, writeBertConfig } from '../config/index.ts';
import { readSafetensors } from './safetensors-read.ts';
import { writeSafetensors } from './safetensors-write.ts';

// Debian's python3 with torch (see tools/reference/README.md); the pyenv python3 on PATH has none.
const PYTHON = '/usr/bin/python3';
const repo = (path: string): string => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
const golden = (path: string): string => repo(`libs/model/fixtures/golden/${path}`);

describe.skipIf(!shouldRunTorchReference())('files written here load in the PyTorch reference', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-interop-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('golden weights round-tripped through readSafetensors/writeSafetensors give the reference logits', async () => {
    const config = await readBertConfig(golden('sequence-classification/config.json'));
    const { tensors } = await readSafetensors(golden('sequence-classification/model.safetensors'));
    await writeBertConfig(join(dir, 'config.json'), config);
    await writeSafetensors(join(dir, 'model.safetensors'), tensors);

    const { stdout } = await promisify(execFile)(PYTHON, [
      repo('tools/reference/bert_reference.py'),
      'logits',
      '--model',
      dir,
      '--inputs',
      golden('sequence-classification/inputs.json'),
    ]);
    const logits = (JSON.parse(stdout) as number[][]).flat();
    const expected = (await readSafetensors(golden('sequence-classification/expected.safetensors'))).tensors.get('logits')!;
    expect(logits).toHaveLength(expected.data.length);
    const maxError = Math.max(...logits.map((value, i) => Math.abs(value - expected.data[i]!)));
    // Bit-exact weights: the only difference is the float32 rounding of the stored expected logits.
    expect(maxError).toBeLessThan(1e-6);
  });
});
