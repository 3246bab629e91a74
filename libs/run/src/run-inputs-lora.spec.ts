import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@tunefleet/compute';
import { errorCode } from '@tunefleet/core';
import { createModel, familyPresetConfig, LoraModel } from '@tunefleet/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunArgumentsSchema } from './run-arguments.ts';
import { loadRunInputs } from './run-inputs.ts';

const TOKENIZER = fileURLToPath(new URL('../../tokenizer/fixtures/families/roberta-bpe/tokenizer.json', import.meta.url));
let work: string;
let modelDir: string;
let trainFile: string;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  work = await mkdtemp(join(tmpdir(), 'run-lora-'));
  modelDir = join(work, 'gpt2');
  const config = familyPresetConfig('gpt2', 'tiny', { vocabSize: 297, padTokenId: 1, bosTokenId: 0, eosTokenId: 2 });
  const model = createModel(config, 'causal-lm', { seed: 0 });
  await model.save(modelDir);
  model.dispose();
  await copyFile(TOKENIZER, join(modelDir, 'tokenizer.json'));
  trainFile = join(work, 'train.txt');
  await writeFile(trainFile, 'book a table for two\nis the cafe open today\n');
});
afterAll(async () => rm(work, { recursive: true, force: true }));

const run = (fields: Record<string, unknown>) => RunArgumentsSchema.parse({ model_name_or_path: modelDir, train_file: trainFile, task: 'causal-lm', block_size: 8, ...fields });

describe('loadRunInputs with --lora-r', () => {
  it('wraps the model in LoRA adapters on the given modules (a,b or repeated), seeded, and says how much trains', async () => {
    const lines: string[] = [];
    const inputs = await loadRunInputs(run({ lora_r: 4, lora_alpha: 16, lora_target_modules: ['c_attn,c_fc'] }), 5, (line) => lines.push(line));
    expect(inputs.model).toBeInstanceOf(LoraModel);
    const lora = inputs.model as LoraModel;
    expect(lora.parameters.size).toBe(2 * 2 * 2); // 2 layers x (c_attn, c_fc) x (lora_A, lora_B)
    expect(lora.adapters.scaling).toBe(4);
    expect(lines.find((l) => l.startsWith('LoRA:'))).toMatch(/^LoRA: r 4, lora_alpha 16 \(scaling 4\), 4 modules \(attn\.c_attn, mlp\.c_fc\); \d+ trainable parameters of \d+ \(\d+\.\d\d%\)$/);
    const again = await loadRunInputs(run({ lora_r: 4, lora_alpha: 16, lora_target_modules: ['c_attn', 'c_fc'] }), 5, () => undefined);
    const key = 'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight';
    expect(Array.from(again.model.parameters.get(key)!.dataSync())).toEqual(Array.from(lora.parameters.get(key)!.dataSync()));
    lora.dispose();
    again.model.dispose();
  });

  it("defaults to PEFT's targets and LoraConfig's alpha; without lora_r the model is the plain one", async () => {
    const inputs = await loadRunInputs(run({ lora_r: 8 }), 1, () => undefined);
    expect([...inputs.model.parameters.keys()].every((k) => k.includes('.attn.c_attn.lora_'))).toBe(true);
    expect((inputs.model as LoraModel).adapters.scaling).toBe(1); // lora_alpha 8 / r 8
    inputs.model.dispose();
    const plain = await loadRunInputs(run({}), 1, () => undefined);
    expect(plain.model).not.toBeInstanceOf(LoraModel);
    plain.model.dispose();
  });

  it('a module the model lacks fails listing the ones it has; an encoder task is refused before any data is read', async () => {
    const error = await loadRunInputs(run({ lora_r: 2, lora_target_modules: ['q_proj'] }), 1, () => undefined).catch((e: unknown) => e);
    expect(errorCode(error)).toBe('LORA_TARGET_NOT_FOUND');
    expect((error as Error).message).toMatch(/"q_proj" not found; GPT2LMHeadModel has these linear modules: c_attn, c_proj, c_fc/);
    const encoder = await loadRunInputs(run({ lora_r: 2, task: 'sequence-classification', train_file: join(work, 'missing.tsv') }), 1, () => undefined).catch((e: unknown) => e);
    expect(errorCode(encoder)).toBe('LORA_UNSUPPORTED_MODEL');
    expect((encoder as Error).message).toContain('lora_r (--lora-r)');
  });
});
