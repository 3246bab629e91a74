import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { initBackend, setComputePrecision } from '@tunefleet/compute';
import { makeTrainer, removeTempDirs, tempDir, useCpuBackend } from './testing/harness.ts';

afterEach(removeTempDirs);

const native = await initBackend({ backend: 'native', threads: 1 }).then(
  () => undefined,
  (error: Error) => error.message,
);
const skipReason = native === undefined ? '' : ` [SKIPPED: ${native}]`;

/** One product whose float32 and bf16 results differ: tells which precision the backend is left in. */
function probeProduct(): Float32Array {
  return tf.tidy(() => tf.matMul(tf.tensor2d([[1 + 2 ** -10, 1]]), tf.tensor2d([[1], [1]])).dataSync() as Float32Array);
}

async function run(args: Record<string, unknown>): Promise<{ lines: string[]; losses: number[]; evalLoss: number }> {
  const lines: string[] = [];
  const { trainer } = makeTrainer({ output_dir: await tempDir(), eval_strategy: 'epoch', ...args }, { log: (line) => lines.push(line) });
  await trainer.train();
  const losses = trainer.state.logHistory.flatMap((e) => ('loss' in e ? [e['loss'] as number] : []));
  const evalLoss = trainer.state.logHistory.flatMap((e) => ('eval_loss' in e ? [e['eval_loss'] as number] : []))[0]!;
  return { lines, losses, evalLoss };
}

describe('bf16 on a backend without bf16 products', () => {
  it('fails at the start of train() naming the backend and what to do', async () => {
    await useCpuBackend();
    const { trainer } = makeTrainer({ output_dir: await tempDir(), bf16: true });
    const failure = await trainer.train().then(() => undefined, (error: unknown) => error);
    expect(errorCode(failure)).toBe('BACKEND_PRECISION_UNSUPPORTED');
    expect((failure as Error).message).toMatch(/bf16 needs the native backend, but the "cpu" backend is active; run with --backend native/);
  });
});

describe.skipIf(native !== undefined)(`bf16 mixed precision on the native backend${skipReason}`, () => {
  it('trains with bf16 products, says what runs them, and leaves the backend in float32', async () => {
    await tf.setBackend('native');
    const fp32Probe = probeProduct();
    setComputePrecision('bf16');
    expect(Array.from(probeProduct())).not.toEqual(Array.from(fp32Probe)); // the probe tells the two apart
    setComputePrecision('fp32');
    const fp32 = await run({});
    const bf16 = await run({ bf16: true });
    expect(fp32.lines.some((l) => l.startsWith('mixed precision'))).toBe(false);
    expect(bf16.lines.filter((l) => l.startsWith('mixed precision: bf16'))).toHaveLength(1);
    // Same seed and data: bf16 rounding moves the losses a little, never far (8-bit mantissa).
    expect(bf16.losses).toHaveLength(fp32.losses.length);
    expect(bf16.losses).not.toEqual(fp32.losses);
    bf16.losses.forEach((loss, i) => expect(Math.abs(loss - fp32.losses[i]!)).toBeLessThan(0.05 * fp32.losses[i]! + 1e-3));
    expect(Array.from(probeProduct())).toEqual(Array.from(fp32Probe));
  });

  it('bf16_full_eval evaluates in bf16 and trains in float32', async () => {
    await tf.setBackend('native');
    const fp32 = await run({});
    const fullEval = await run({ bf16_full_eval: true });
    expect(fullEval.losses).toEqual(fp32.losses);
    expect(fullEval.evalLoss).not.toBe(fp32.evalLoss);
    expect(Math.abs(fullEval.evalLoss - fp32.evalLoss)).toBeLessThan(0.02 * fp32.evalLoss);
    expect(fullEval.lines.filter((l) => l.startsWith('mixed precision: bf16'))).toHaveLength(1);
  });
});
