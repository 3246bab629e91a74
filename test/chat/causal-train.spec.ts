import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tunefleet } from '../support/cli.ts';

const FIXTURES = join(ROOT, 'test/chat/fixtures');
const TOKENIZER = join(ROOT, 'libs/tokenizer/fixtures/families/roberta-bpe/tokenizer.json');

describe('tunefleet train --task causal-lm', () => {
  let work: string;
  let init: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tunefleet-causal-'));
    init = join(work, 'gpt2');
    const made = await tunefleet(['init-model', '--arch', 'gpt2', '--preset', 'tiny', '--vocab', TOKENIZER, '--output', init, '--seed', '7']);
    expect(made.code, made.stderr).toBe(0);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const common = ['--task', 'causal-lm', '--model', () => init, '--learning-rate', '1e-3', '--per-device-train-batch-size', '4', '--num-train-epochs', '1'] as const;
  const args = (...extra: string[]) => [...common.map((a) => (typeof a === 'function' ? a() : a)), ...extra];

  it('chat JSONL in one process: loss on assistant turns, eval_loss and perplexity; the trained directory generates', async () => {
    const out = join(work, 'chat-out');
    const run = await tunefleet(['train', ...args('--train-file', join(FIXTURES, 'chat-train.jsonl'), '--validation-file', join(FIXTURES, 'chat-dev.jsonl'), '--block-size', '256', '--output-dir', out)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('chat-train.jsonl: 16 conversations (loss on assistant turns)');
    const results = JSON.parse(await readFile(join(out, 'eval_results.json'), 'utf8')) as Record<string, number>;
    // The 4 validation conversations are one evaluation batch, so the per-token perplexity is exp(eval_loss).
    expect(results['eval_perplexity']).toBeCloseTo(Math.exp(results['eval_loss']!), 3);
    expect(results['eval_accuracy']).toBeGreaterThanOrEqual(0);
    const generated = join(work, 'generated.jsonl');
    const reply = await tunefleet(['generate', '--model', out, '--input', join(FIXTURES, 'prompts.jsonl'), '--output', generated, '--max-new-tokens', '4']);
    expect(reply.code, reply.stderr).toBe(0);
    expect((await readFile(generated, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('plain text on 2 workers: lines packed into blocks of --block-size', async () => {
    const out = join(work, 'text-out');
    const run = await tunefleet(['train', '--workers', '2', ...args('--train-file', join(FIXTURES, 'text-train.txt'), '--block-size', '32', '--per-device-train-batch-size', '2', '--output-dir', out)]);
    expect(run.code, run.stderr).toBe(0);
    expect(`${run.stdout}${run.stderr}`).toMatch(/text-train\.txt: 16 lines in \d+ blocks of up to 32 tokens/);
    expect((await stat(join(out, 'model.safetensors'))).size).toBeGreaterThan(0);
  });

  it('bad chat data stops the run naming file, line and what is wrong; an overlong conversation with long_conversation_strategy error too', async () => {
    const file = join(work, 'bad.jsonl');
    await writeFile(
      file,
      [
        JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] }),
        JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'robot', content: 'beep' }] }),
        JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: '' }] }),
      ].join('\n'),
    );
    const bad = await tunefleet(['train', ...args('--train-file', file, '--output-dir', join(work, 'never'))]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`${file}:2: message 2: role "robot" is not one of system, user, assistant`);
    expect(bad.stderr).toContain(`${file}:3: message 2: empty assistant turn`);
    const long = await tunefleet(['train', ...args('--train-file', join(FIXTURES, 'chat-train.jsonl'), '--block-size', '40', '--long-conversation-strategy', 'error', '--output-dir', join(work, 'never'))]);
    expect(long.code).not.toBe(0);
    expect(long.stderr).toMatch(/chat-train\.jsonl:1: conversation is \d+ tokens, longer than block_size 40/);
  });
});
