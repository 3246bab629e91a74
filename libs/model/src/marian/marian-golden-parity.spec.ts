import { join } from 'node:path';
import { initBackend } from '@tunefleet/compute';
import { describe, it } from 'vitest';
import { FIXTURES_DIR } from '../layers/golden-check.ts';
import { loadPretrained } from '../pretrained.ts';
import { expectSeq2SeqGoldenParity, expectSeq2SeqParameterShapes } from '../seq2seq/seq2seq-golden-check.ts';
import type { EncoderDecoderModel } from '../seq2seq/encoder-decoder-model.ts';
import { availableBackends } from '../test-support.ts';

// Fixtures: /usr/bin/python3 tools/reference/marian_reference.py generate --out libs/model/fixtures/golden-marian
const backends = await availableBackends();
// Static sinusoidal positions, tied head, swish, scaled embeddings; and learned positions, untied head, gelu.
const FIXTURES = ['golden-marian/translation', 'golden-marian/learned/translation'];

describe('Marian golden parity (tools/reference/marian_reference.py)', () => {
  for (const dir of FIXTURES) {
    it(`${dir}: parameters follow MarianMTModel's named_parameters() (shared embeddings, static positions and final_logits_bias not trained)`, async () => {
      await initBackend({ backend: 'cpu' });
      const { model } = await loadPretrained(join(FIXTURES_DIR, dir), { task: 'translation' });
      await expectSeq2SeqParameterShapes(dir, model as EncoderDecoderModel<unknown>);
      model.dispose();
    });
    for (const backend of backends) {
      it(`${dir} on ${backend}: logits, loss and every parameter gradient match the reference`, async () => {
        await expectSeq2SeqGoldenParity(dir, backend);
      });
    }
  }
});
