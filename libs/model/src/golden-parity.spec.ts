import { describe, it } from 'vitest';
import { expectGoldenParity } from './layers/golden-check.ts';
import { availableBackends } from './test-support.ts';
import type { ModelTask } from './trainable.ts';

/**
 * BERT's parity with the float64 PyTorch reference (tools/reference/bert_reference.py), dropout
 * off, through the same check every family uses (layers/golden-check.ts): logits and loss
 * max|a - b| <= 1e-4; for EVERY parameter gradient, max|a - b| <= 1e-3 * max|ref| + 1e-6.
 */
const backends = await availableBackends();
const tasks: ModelTask[] = ['sequence-classification', 'token-classification'];

for (const backend of backends) {
  for (const task of tasks) {
    describe(`golden parity: ${task} on ${backend}`, () => {
      it('logits, loss and every parameter gradient match the reference', async () => {
        await expectGoldenParity('golden', task, backend);
      });
    });
  }
}
