import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { gpt2ParameterShapes, parseModelConfig, type Gpt2Config } from '../config/index.ts';
import { expectCausalParameterShapes, expectGreedyParity } from '../layers/causal-golden-check.ts';
import { expectGoldenParity, FIXTURES_DIR } from '../layers/golden-check.ts';
import { availableBackends } from '../test-support.ts';

// Fixtures: /usr/bin/python3 tools/reference/gpt2_reference.py generate --out libs/model/fixtures/golden-gpt2
const backends = await availableBackends();
const DIR = 'golden-gpt2/causal-lm';

describe('GPT-2 golden parity (tools/reference/gpt2_reference.py)', () => {
  it("parameters follow GPT2LMHeadModel's named_parameters() (Conv1D weights [in, out], lm_head tied)", async () => {
    const file = join(FIXTURES_DIR, DIR, 'config.json');
    const config = parseModelConfig(JSON.parse(await readFile(file, 'utf8')), file) as Gpt2Config;
    await expectCausalParameterShapes(DIR, gpt2ParameterShapes(config));
  });
  for (const backend of backends) {
    it(`causal-lm on ${backend}: logits, shifted loss and every parameter gradient match the reference`, async () => {
      await expectGoldenParity('golden-gpt2', 'causal-lm', backend);
    });
    it(`greedy generation on ${backend} equals the reference's, with and without the key/value cache`, async () => {
      await expectGreedyParity(DIR, backend);
    });
  }
});
