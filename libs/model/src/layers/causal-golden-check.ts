// Helpers shared by the causal families' golden specs (not exported from index.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { expect } from 'vitest';
import { generate } from '../generation/generate.ts';
import type { CausalLanguageModel } from '../model-families.ts';
import { loadPretrained } from '../pretrained.ts';
import { FIXTURES_DIR } from './golden-check.ts';

/** generation.json as the references write it: greedy tokens with and without the cache, and with a repetition penalty. */
export interface GenerationFixture {
  prompt: number[];
  max_new_tokens: number;
  greedy_cached: number[];
  greedy_uncached: number[];
  repetition_penalty: number;
  greedy_repetition_penalty: number[];
}

export async function readGenerationFixture(dir: string): Promise<GenerationFixture> {
  return JSON.parse(await readFile(join(FIXTURES_DIR, dir, 'generation.json'), 'utf8')) as GenerationFixture;
}

/** Greedy generation token-for-token equal to the reference's, with and without the key/value cache, and with the repetition penalty. */
export async function expectGreedyParity(dir: string, backend: string): Promise<void> {
  await initBackend({ backend: backend as 'cpu' | 'wasm' | 'native' });
  const fixture = await readGenerationFixture(dir);
  const { model } = await loadPretrained(join(FIXTURES_DIR, dir), { task: 'causal-lm' });
  const decoder = model as CausalLanguageModel;
  const before = tf.memory().numTensors;
  const run = (config: Record<string, unknown>) => generate(decoder, fixture.prompt, { config: { max_new_tokens: fixture.max_new_tokens, ...config } });
  expect(run({ use_cache: true })).toEqual({ tokens: fixture.greedy_cached, finishReason: 'length' });
  expect(run({ use_cache: false })).toEqual({ tokens: fixture.greedy_uncached, finishReason: 'length' });
  expect(run({ repetition_penalty: fixture.repetition_penalty }).tokens).toEqual(fixture.greedy_repetition_penalty);
  expect(tf.memory().numTensors).toBe(before); // the cache is freed
  model.dispose();
}

/** The family's parameter table equals the reference's `named_parameters()` (names, order, shapes). */
export async function expectCausalParameterShapes(dir: string, shapes: ReadonlyMap<string, number[]>): Promise<void> {
  const reference = JSON.parse(await readFile(join(FIXTURES_DIR, dir, 'parameter-shapes.json'), 'utf8')) as [string, number[]][];
  expect([...shapes]).toEqual(reference);
}
