import { describe, it } from 'vitest';
import { expectGoldenParity, expectReferenceParameterShapes } from '../layers/golden-check.ts';
import { availableBackends } from '../test-support.ts';

// Fixtures: /usr/bin/python3 tools/reference/roberta_reference.py generate --out libs/model/fixtures/golden-roberta
const backends = await availableBackends();

describe('RoBERTa golden parity (tools/reference/roberta_reference.py)', () => {
  it('parameters follow RobertaFor* named_parameters() for every head', async () => {
    await expectReferenceParameterShapes('golden-roberta');
  });
  for (const backend of backends) {
    for (const task of ['sequence-classification', 'token-classification', 'masked-lm'] as const) {
      it(`${task} on ${backend}: logits, loss and every parameter gradient match the reference`, async () => {
        await expectGoldenParity('golden-roberta', task, backend);
      });
    }
  }
});
