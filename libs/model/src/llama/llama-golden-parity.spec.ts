import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { llamaParameterShapes, parseModelConfig, type LlamaConfig } from '../config/index.ts';
import { expectCausalParameterShapes, expectGreedyParity } from '../layers/causal-golden-check.ts';
import { expectGoldenParity, FIXTURES_DIR } from '../layers/golden-check.ts';
import { availableBackends } from '../test-support.ts';

// Fixtures: /usr/bin/python3 tools/reference/llama_reference.py generate --out libs/model/fixtures/golden-llama
const backends = await availableBackends();
const CASES = {
  gqa: 'Llama, 4 query heads over 2 key/value heads, untied lm_head, llama3 RoPE scaling',
  bias: 'Qwen2, q/k/v biases, 4 query heads over 1 key/value head, tied embeddings, linear RoPE scaling',
  dynamic: 'Llama with attention_bias, mlp_bias and pad_token_id, dynamic RoPE past max_position_embeddings',
} as const;

for (const [name, what] of Object.entries(CASES)) {
  const dir = `golden-llama/${name}/causal-lm`;
  describe(`Llama golden parity, ${name}: ${what}`, () => {
    it("parameters follow the reference's named_parameters()", async () => {
      const file = join(FIXTURES_DIR, dir, 'config.json');
      const config = parseModelConfig(JSON.parse(await readFile(file, 'utf8')), file) as LlamaConfig;
      await expectCausalParameterShapes(dir, llamaParameterShapes(config));
    });
    for (const backend of backends) {
      it(`on ${backend}: logits, shifted loss and every parameter gradient match the reference`, async () => {
        await expectGoldenParity(`golden-llama/${name}`, 'causal-lm', backend);
      });
      it(`on ${backend}: greedy generation equals the reference's, with and without the key/value cache`, async () => {
        await expectGreedyParity(dir, backend);
      });
    }
  });
}
