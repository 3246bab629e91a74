import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@tunefleet/compute';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../config/index.ts';
import { readGenerationFixture } from '../layers/causal-golden-check.ts';
import { FIXTURES_DIR } from '../layers/golden-check.ts';
import type { CausalLanguageModel } from '../model-families.ts';
import { loadPretrained } from '../pretrained.ts';
import { generate } from './generate.ts';
import { parseGenerationConfig, readGenerationConfig, writeGenerationConfig } from './generation-config.ts';
import { applyRepetitionPenalty, applyTemperature, applyTopK, applyTopP, sampleFrom, softmax } from './logits-processors.ts';

const LLAMA = 'golden-llama/gqa/causal-lm';
let model: CausalLanguageModel;
let work: string;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  model = (await loadPretrained(join(FIXTURES_DIR, LLAMA), { task: 'causal-lm' })).model as CausalLanguageModel;
  work = await mkdtemp(join(tmpdir(), 'tunefleet-generation-'));
});
afterAll(async () => {
  model.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('logits processors (transformers semantics)', () => {
  it('repetition penalty divides positive and multiplies negative logits of seen tokens, once per token', () => {
    const scores = Float32Array.from([2, -2, 1, 4]);
    applyRepetitionPenalty(scores, [0, 1, 0], 2);
    expect(Array.from(scores)).toEqual([1, -4, 1, 4]);
  });

  it('temperature divides; top-k keeps the k best (ties with the k-th too); top-p keeps the smallest nucleus reaching p', () => {
    const t = Float32Array.from([1, 2]);
    applyTemperature(t, 0.5);
    expect(Array.from(t)).toEqual([2, 4]);
    const k = Float32Array.from([1, 3, 3, 0, 2]);
    applyTopK(k, 2);
    expect(Array.from(k)).toEqual([-Infinity, 3, 3, -Infinity, -Infinity]);
    const logProbs = Float32Array.from([0.5, 0.3, 0.15, 0.05].map(Math.log));
    const p = Float32Array.from(logProbs);
    applyTopP(p, 0.75); // 0.5 + 0.3 reaches 0.75
    expect(Array.from(p).map(Number.isFinite)).toEqual([true, true, false, false]);
    const all = Float32Array.from(logProbs);
    applyTopP(all, 0.01); // at least one token stays
    expect(Array.from(all).map(Number.isFinite)).toEqual([true, false, false, false]);
  });

  it('sampling draws by the softmax and never a -Infinity token', () => {
    const scores = Float32Array.from([Math.log(0.25), Math.log(0.75), -Infinity]);
    expect(Array.from(softmax(scores)).map((v) => Number(v.toFixed(6)))).toEqual([0.25, 0.75, 0]);
    expect(sampleFrom(scores, () => 0.2)).toBe(0);
    expect(sampleFrom(scores, () => 0.3)).toBe(1);
    expect(sampleFrom(scores, () => 0.999999)).toBe(1);
  });
});

describe('generate', () => {
  it('stops at an EOS id (one or several), naming why; streams each token as it comes', async () => {
    const fixture = await readGenerationFixture(LLAMA);
    const streamed: number[] = [];
    const eos = fixture.greedy_cached[2];
    const result = generate(model, fixture.prompt, { config: { max_new_tokens: 8, eos_token_id: [999, eos] }, onToken: (id) => streamed.push(id) });
    expect(result).toEqual({ tokens: fixture.greedy_cached.slice(0, 3), finishReason: 'eos' });
    expect(streamed).toEqual(result.tokens);
  });

  it('stops once the generated text holds a stop string (the decoder is needed)', async () => {
    const fixture = await readGenerationFixture(LLAMA);
    const decode = (ids: readonly number[]) => ids.map((id) => `<${id}>`).join('');
    const stop = `${fixture.greedy_cached[0]}><${fixture.greedy_cached[1]}`;
    expect(generate(model, fixture.prompt, { config: { max_new_tokens: 8, stop_strings: [stop] }, decode })).toEqual({ tokens: fixture.greedy_cached.slice(0, 2), finishReason: 'stop-string' });
    expect(() => generate(model, fixture.prompt, { config: { stop_strings: 'x' } })).toThrow(expect.objectContaining({ code: 'GENERATION_INPUT_INVALID' }));
    expect(() => generate(model, [], {})).toThrow(/the prompt is empty/);
  });

  it('without max_new_tokens, max_length (default 20) counts the prompt', () => {
    expect(generate(model, [1, 2, 3, 4]).tokens).toHaveLength(16);
    expect(generate(model, [1, 2, 3, 4], { config: { max_length: 6 } })).toMatchObject({ finishReason: 'length', tokens: expect.any(Array) });
    expect(generate(model, [1, 2, 3, 4], { config: { max_length: 6 } }).tokens).toHaveLength(2);
  });

  it('sampling is reproducible for a seed, with and without the cache, and differs between seeds', () => {
    const config = { do_sample: true, temperature: 2, top_k: 0, max_new_tokens: 10 };
    const first = generate(model, [1, 9, 44, 17], { config, seed: 11 });
    expect(generate(model, [1, 9, 44, 17], { config, seed: 11 })).toEqual(first);
    expect(generate(model, [1, 9, 44, 17], { config: { ...config, use_cache: false }, seed: 11 })).toEqual(first);
    const others = [12, 13, 14].map((seed) => generate(model, [1, 9, 44, 17], { config, seed }).tokens);
    expect(others.some((tokens) => JSON.stringify(tokens) !== JSON.stringify(first.tokens))).toBe(true);
    // top_k 1 is greedy whatever the seed.
    expect(generate(model, [1, 9, 44, 17], { config: { do_sample: true, top_k: 1, max_new_tokens: 8 }, seed: 5 }).tokens).toEqual(generate(model, [1, 9, 44, 17], { config: { max_new_tokens: 8 } }).tokens);
  });

  it('a GPT-2 prompt that fills n_positions is GENERATION_CONTEXT_FULL; one near it stops with reason context', async () => {
    const { model: gpt2 } = await loadPretrained(join(FIXTURES_DIR, 'golden-gpt2/causal-lm'), { task: 'causal-lm' });
    const decoder = gpt2 as CausalLanguageModel;
    expect(() => generate(decoder, new Array(16).fill(3))).toThrow(expect.objectContaining({ code: 'GENERATION_CONTEXT_FULL', message: expect.stringContaining('n_positions 16') }));
    expect(generate(decoder, new Array(14).fill(3), { config: { max_new_tokens: 5 } })).toMatchObject({ finishReason: 'context', tokens: [expect.any(Number), expect.any(Number)] });
    gpt2.dispose();
  });
});

describe('generation_config.json', () => {
  it('round-trips, writing only what differs from the defaults; invalid fields are listed together', async () => {
    const config = parseGenerationConfig({ do_sample: true, temperature: 0.7, top_p: 0.9, eos_token_id: [2, 7], bos_token_id: 1, custom_field: 'kept' }, 'g');
    await writeGenerationConfig(work, config);
    const written = JSON.parse(await readFile(join(work, 'generation_config.json'), 'utf8'));
    expect(written).toEqual({ bos_token_id: 1, custom_field: 'kept', do_sample: true, eos_token_id: [2, 7], temperature: 0.7, top_p: 0.9 });
    expect(await readGenerationConfig(work, {})).toEqual(config);
    expect(await readGenerationConfig(join(work, 'none'), { bos_token_id: 1, eos_token_id: 2 })).toMatchObject({ bos_token_id: 1, eos_token_id: 2, max_length: 20 });
    expect(() => parseGenerationConfig({ temperature: -1, top_p: 0, max_new_tokens: 1.5 }, 'generation_config.json')).toThrow(
      expect.objectContaining({ code: 'GENERATION_CONFIG_INVALID', message: expect.stringMatching(/3 invalid field\(s\): max_new_tokens: .*temperature: .*top_p: /) }),
    );
  });
});

describe('Llama config.json', () => {
  it('an unimplemented rope_scaling type is named; grouped-query heads must divide the query heads', () => {
    expect(() => parseModelConfig({ model_type: 'llama', rope_scaling: { rope_type: 'yarn', factor: 4 }, num_attention_heads: 6, num_key_value_heads: 4, hidden_size: 48 }, 'l.json')).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        issues: expect.arrayContaining([
          { path: 'rope_scaling.rope_type', message: 'rope_type "yarn" is not implemented; tunefleet computes default, linear, dynamic, llama3' },
          { path: 'num_key_value_heads', message: 'num_attention_heads 6 is not a multiple of num_key_value_heads 4' },
        ]),
      }),
    );
    expect(() => parseModelConfig({ model_type: 'llama', rope_scaling: { rope_type: 'llama3', factor: 8 } }, 'l.json')).toThrow(/rope_type "llama3" needs low_freq_factor/);
    expect(parseModelConfig({ architectures: ['Qwen2ForCausalLM'] }, 'q.json')).toMatchObject({ model_type: 'qwen2', vocab_size: 151936 });
  });
});
