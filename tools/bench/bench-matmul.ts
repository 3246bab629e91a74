// Benchmark (prints figures, asserts nothing): BERT-shaped matMuls in GFLOP/s on native, wasm, cpu.
//   npx tsx tools/bench/bench-matmul.ts [--threads 1] [--backends native,wasm,cpu] [--reps 5]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendChoice } from '@tunefleet/compute';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    backends: { type: 'string', default: 'native,wasm,cpu' },
    reps: { type: 'string', default: '5' },
  },
});

// [name, aShape, bShape, transposeA, transposeB]: a BERT-base layer at batch 8 x seq 128.
const cases: [string, number[], number[], boolean, boolean][] = [
  ['dense fwd   x@W^T', [1024, 768], [768, 768], false, true],
  ['dense dx    dy@W', [1024, 768], [768, 768], false, false],
  ['dense dW    dy^T@x', [1024, 768], [1024, 768], true, false],
  ['ffn fwd     x@W1^T', [1024, 768], [3072, 768], false, true],
  ['attn scores q@k^T', [96, 128, 64], [96, 128, 64], false, true],
  ['attn ctx    p@v', [96, 128, 128], [96, 128, 64], false, false],
];

for (const backend of args.backends.split(',')) {
  await initBackend({ backend: backend as BackendChoice, threads: Number(args.threads) });
  for (const [name, aShape, bShape, transposeA, transposeB] of cases) {
    const a = tf.randomNormal(aShape);
    const b = tf.randomNormal(bShape);
    const product = tf.matMul(a, b, transposeA, transposeB);
    const flops = 2 * product.size * (transposeA ? aShape[aShape.length - 2] : aShape[aShape.length - 1]);
    product.dispose();
    const reps = backend === 'cpu' ? 1 : Number(args.reps);
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      const start = performance.now();
      const out = tf.matMul(a, b, transposeA, transposeB);
      out.dataSync();
      best = Math.min(best, performance.now() - start);
      out.dispose();
    }
    console.log(`${backend.padEnd(7)} ${name.padEnd(20)} ${best.toFixed(1).padStart(8)} ms ${(flops / best / 1e6).toFixed(1).padStart(7)} GFLOP/s`);
    tf.dispose([a, b]);
  }
}
