import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCode } from '@tunefleet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { readAdapterConfig } from './lora-config.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function configDir(json: unknown): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'adapter-config-'));
  await writeFile(join(dir, 'adapter_config.json'), typeof json === 'string' ? json : JSON.stringify(json));
  return dir;
}

describe('readAdapterConfig (adapter_config.json as PEFT writes it)', () => {
  it("reads PEFT's fields, defaults as LoraConfig's, and ignores fields it does not use", async () => {
    const config = await readAdapterConfig(await configDir({ peft_type: 'LORA', r: 16, lora_alpha: 32, target_modules: ['q_proj', 'v_proj'], task_type: 'CAUSAL_LM', megatron_config: null }));
    expect(config).toEqual({
      settings: { r: 16, loraAlpha: 32, loraDropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false },
      fanInFanOut: false,
      baseModelNameOrPath: null,
    });
  });

  it('lists every field it cannot honour at once, with the file', async () => {
    const path = await configDir({ peft_type: 'LORA', r: 0, lora_alpha: 8, target_modules: ['c_attn'], use_dora: true, bias: 'all', modules_to_save: ['score'] });
    const error = await readAdapterConfig(path).catch((e: unknown) => e);
    expect(errorCode(error)).toBe('ADAPTER_CONFIG_INVALID');
    const message = (error as Error).message;
    expect(message).toContain(join(path, 'adapter_config.json'));
    for (const field of ['r:', 'use_dora:', 'bias:', 'modules_to_save:']) expect(message).toContain(field);
  });

  it('refuses another PEFT method and an unreadable file', async () => {
    await expect(readAdapterConfig(await configDir({ peft_type: 'IA3', target_modules: ['k_proj'] }))).rejects.toThrow(/peft_type/);
    await expect(readAdapterConfig(await configDir('{not json'))).rejects.toThrow(/cannot read a PEFT adapter config/);
  });
});
