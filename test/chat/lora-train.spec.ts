// LoRA end to end (issue 15 part 3): `train --lora-r` writes PEFT's adapter files (checkpoints too,
// and resumes from one), `generate --adapter` applies them, and `merge-adapter` folds them into a
// plain model that generates the same greedy text.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '@tunefleet/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, ROOT, tunefleet } from '../support/cli.ts';

const FIXTURES = join(ROOT, 'test/chat/fixtures');
const TOKENIZER = join(ROOT, 'libs/tokenizer/fixtures/families/roberta-bpe/tokenizer.json');

describe('tunefleet train --lora-r, generate --adapter, merge-adapter', () => {
  let work: string;
  let base: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tunefleet-lora-'));
    base = join(work, 'gpt2');
    const made = await tunefleet(['init-model', '--arch', 'gpt2', '--preset', 'tiny', '--vocab', TOKENIZER, '--output', base, '--seed', '7']);
    expect(made.code, made.stderr).toBe(0);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('trains only the adapters, saves them in PEFT layout, resumes from an adapter checkpoint, and merges', async () => {
    const out = join(work, 'lora-out');
    const train = (extra: string[]) =>
      tunefleet([
        'train', '--task', 'causal-lm', '--model', base, '--train-file', join(FIXTURES, 'chat-train.jsonl'), '--block-size', '128',
        '--lora-r', '4', '--lora-alpha', '8', '--learning-rate', '1e-2', '--per-device-train-batch-size', '4',
        '--save-strategy', 'steps', '--save-steps', '2', '--output-dir', out, '--backend', 'cpu', ...extra,
      ]);
    const first = await train(['--max-steps', '2']);
    expect(first.code, first.stderr).toBe(0);
    const files = await readdir(out);
    expect(files).toEqual(expect.arrayContaining(['adapter_config.json', 'adapter_model.safetensors', 'checkpoint-2']));
    expect(files).not.toContain('model.safetensors');
    const config = await readJson(join(out, 'adapter_config.json'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['c_attn'] });
    const { tensors } = await readSafetensors(join(out, 'adapter_model.safetensors'));
    const keys = [...tensors.keys()].sort();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(/^base_model\.model\.transformer\.h\.\d+\.attn\.c_attn\.lora_[AB]\.weight$/);
    // The checkpoint is complete with the adapter file in place of model.safetensors: it resumes.
    const resumed = await train(['--max-steps', '4', '--resume-from-checkpoint', 'true']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(`${resumed.stdout}${resumed.stderr}`).toMatch(/checkpoint-2/);
    expect((await readJson(join(out, 'trainer_state.json')))['global_step']).toBe(4);

    const withAdapter = join(work, 'with-adapter.jsonl');
    const generated = await tunefleet(['generate', '--model', base, '--adapter', out, '--input', join(FIXTURES, 'prompts.jsonl'), '--output', withAdapter, '--max-new-tokens', '6', '--backend', 'cpu']);
    expect(generated.code, generated.stderr).toBe(0);
    const merged = join(work, 'merged');
    const merge = await tunefleet(['merge-adapter', '--model', base, '--adapter', out, '--output', merged, '--backend', 'cpu']);
    expect(merge.code, merge.stderr).toBe(0);
    const fromMerged = join(work, 'from-merged.jsonl');
    const plain = await tunefleet(['generate', '--model', merged, '--input', join(FIXTURES, 'prompts.jsonl'), '--output', fromMerged, '--max-new-tokens', '6', '--backend', 'cpu']);
    expect(plain.code, plain.stderr).toBe(0);
    const texts = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').map((line) => (JSON.parse(line) as { generated_text: string }).generated_text);
    expect(await texts(fromMerged)).toEqual(await texts(withAdapter));
    // The base model's own greedy text differs: the adapters changed the model.
    const baseOut = join(work, 'base.jsonl');
    expect((await tunefleet(['generate', '--model', base, '--input', join(FIXTURES, 'prompts.jsonl'), '--output', baseOut, '--max-new-tokens', '6', '--backend', 'cpu'])).code).toBe(0);
    expect(await texts(baseOut)).not.toEqual(await texts(withAdapter));
  }, 300_000);
});
