import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCode } from '@tunefleet/core';
import { loadAdapter, loadPretrained, type CausalLanguageModel, type ModelBatch } from '@tunefleet/model';
import { afterEach, describe, expect, it } from 'vitest';
import { runMergeAdapter } from './merge-adapter.ts';

const FIXTURES = fileURLToPath(new URL('../../../../libs/model/fixtures/', import.meta.url));
const BASE = join(FIXTURES, 'golden-gpt2/causal-lm');
const ADAPTER = join(FIXTURES, 'golden-lora/gpt2/adapter');

async function batchOf(file: string): Promise<ModelBatch> {
  const json = JSON.parse(await readFile(file, 'utf8')) as { input_ids: number[][]; attention_mask: number[][] };
  return {
    batchSize: json.input_ids.length,
    seqLength: json.input_ids[0]!.length,
    inputIds: Int32Array.from(json.input_ids.flat()),
    attentionMask: Int32Array.from(json.attention_mask.flat()),
    tokenTypeIds: new Int32Array(json.input_ids.flat().length),
  };
}

function logits(model: { forward: CausalLanguageModel['forward'] }, batch: ModelBatch): Float32Array {
  const out = model.forward(batch, { training: false });
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}

describe('tunefleet merge-adapter', () => {
  let work: string | undefined;
  afterEach(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('writes a plain model whose logits equal base + adapter (1e-5), with the base model\'s companion files', async () => {
    work = await mkdtemp(join(tmpdir(), 'merge-adapter-'));
    const output = join(work, 'merged');
    expect(await runMergeAdapter({ model: BASE, adapter: ADAPTER, output, backend: 'cpu' })).toBe(0);
    expect((await readdir(output)).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors']);
    const batch = await batchOf(join(BASE, 'inputs.json'));
    const adapted = await loadAdapter((await loadPretrained(BASE, { task: 'causal-lm' })).model, ADAPTER);
    const expected = logits(adapted, batch);
    adapted.dispose();
    const merged = (await loadPretrained(output, { task: 'causal-lm' })).model as CausalLanguageModel;
    const actual = logits(merged, batch);
    merged.dispose();
    let diff = 0;
    for (let i = 0; i < expected.length; i++) diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    expect(diff).toBeLessThanOrEqual(1e-5);
    expect(diff).toBeGreaterThan(0); // float32 rounding of W + BA differs from W x + B A x: the merge really happened
  });

  it('an adapter for modules the model lacks fails listing the modules it has, and writes nothing', async () => {
    work = await mkdtemp(join(tmpdir(), 'merge-adapter-'));
    const output = join(work, 'merged');
    const llamaAdapter = join(FIXTURES, 'golden-lora/llama/adapter');
    const error = await runMergeAdapter({ model: BASE, adapter: llamaAdapter, output, backend: 'cpu' }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe('LORA_TARGET_NOT_FOUND');
    expect((error as Error).message).toContain('"q_proj", "v_proj", "down_proj" not found; GPT2LMHeadModel has these linear modules: c_attn, c_proj, c_fc');
    await expect(readdir(output)).rejects.toThrow(/ENOENT/);
  });
});
