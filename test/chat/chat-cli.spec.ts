import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tunefleet } from '../support/cli.ts';

const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');
const FIXTURES = join(ROOT, 'test/chat/fixtures');
const TOKENIZER = join(ROOT, 'libs/tokenizer/fixtures/families/roberta-bpe/tokenizer.json');
// A short context, so that a few turns outgrow it: RoPE models have no position table to resize.
const CONTEXT = 160;
const ANSWER_TOKENS = 6;

/** `tunefleet ARGS` with `input` piped to stdin. */
function piped(args: readonly string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** `tunefleet ARGS` in a pseudo-terminal (Python's pty), typing `messages` at each `you> ` prompt. */
function inTerminal(args: readonly string[], messages: readonly string[]): Promise<{ output: string; code: number; timedOut: boolean }> {
  const spec = JSON.stringify({ argv: [process.execPath, BIN, ...args], messages, timeout: 90 });
  return new Promise((done, fail) => {
    const child = spawn('/usr/bin/python3', [join(ROOT, 'test/chat/pty-session.py'), spec], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done(JSON.parse(stdout)) : fail(new Error(`pty-session exited ${code}: ${stderr}`))));
  });
}

describe('tunefleet chat and generate on a tiny random Llama', () => {
  let work: string;
  let model: string;
  const chatArgs = () => ['chat', '--model', model, '--max-new-tokens', String(ANSWER_TOKENS)];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tunefleet-chat-'));
    model = join(work, 'llama');
    const init = await tunefleet(['init-model', '--arch', 'llama', '--preset', 'tiny', '--vocab', TOKENIZER, '--output', model, '--seed', '5']);
    expect(init.code, init.stderr).toBe(0);
    const configFile = join(model, 'config.json');
    const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(configFile, JSON.stringify({ ...config, max_position_embeddings: CONTEXT }, null, 2));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('piped stdin: one answer line per message; /reset starts over, so the same message gets the same (greedy) answer', async () => {
    const run = await piped(chatArgs(), 'hello there\nbook a table for two\n/reset\nhello there\n');
    expect(run.code, run.stderr).toBe(0);
    const answers = run.stdout.split('\n').slice(0, -1);
    expect(answers).toHaveLength(3);
    expect(answers[2]).toBe(answers[0]);
    expect(run.stderr).toContain('(history cleared)');
    expect(run.stderr).toContain('chat template: default ChatML template');
    expect(run.stdout).not.toContain('you> ');
  });

  it('says when it drops the oldest turns to keep the history within the context', async () => {
    const messages = Array.from({ length: 5 }, (_, i) => `message number ${i} about restaurants and trains`);
    const run = await piped(chatArgs(), `${messages.join('\n')}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').slice(0, -1)).toHaveLength(5);
    expect(run.stderr).toMatch(new RegExp(`\\(dropped the \\d+ oldest turns? to fit the model's context of ${CONTEXT} tokens\\)`));
    const long = await piped(chatArgs(), `${'word '.repeat(200)}\n`);
    expect(long.code).toBe(0);
    expect(long.stderr).toMatch(/your message alone is \d+ tokens.*not sent/);
  });

  it('in a terminal: prompts, streams the answer after "assistant> " (the same as piped), and /exit ends with 0', async () => {
    const pipedRun = await piped(chatArgs(), 'hello there\n');
    const answer = pipedRun.stdout.split('\n')[0]!;
    const session = await inTerminal(chatArgs(), ['hello there', '/exit']);
    expect(session.timedOut, session.output).toBe(false);
    expect(session.code, session.output).toBe(0);
    expect(session.output).toContain('hello there'); // the terminal's echo of what was typed
    const shown = /assistant> (.*?)\r\nyou> /s.exec(session.output);
    expect(shown, session.output).not.toBeNull();
    expect(shown![1]!.replace(/\r\n/g, ' ')).toBe(answer);
    expect(session.output.match(/you> /g)?.length).toBe(2);
  });

  it('--adapter with no adapter there fails naming the directory', async () => {
    const run = await piped([...chatArgs(), '--adapter', join(work, 'no-adapter')], 'hi\n');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(join(work, 'no-adapter'));
  });

  it('generate: a prompt row and a messages row, with generation_config names as flags', async () => {
    const output = join(work, 'out.jsonl');
    const run = await tunefleet(['generate', '--model', model, '--input', join(FIXTURES, 'prompts.jsonl'), '--output', output, '--max-new-tokens', '5', '--do-sample', '--top-k', '20', '--seed', '3']);
    expect(run.code, run.stderr).toBe(0);
    const rows = (await readFile(output, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(2);
    expect(rows[0]!['prompt']).toBe('the weather today is');
    expect(rows[1]!['messages']).toEqual([{ role: 'user', content: 'book a table for two' }]);
    for (const row of rows) {
      expect(typeof row['generated_text']).toBe('string');
      expect(row['new_tokens']).toBeLessThanOrEqual(5);
      expect(['length', 'eos', 'stop-string']).toContain(row['finish_reason']);
    }
    const again = join(work, 'again.jsonl');
    await tunefleet(['generate', '--model', model, '--input', join(FIXTURES, 'prompts.jsonl'), '--output', again, '--max-new-tokens', '5', '--do-sample', '--top-k', '20', '--seed', '3']);
    expect(await readFile(again, 'utf8')).toBe(await readFile(output, 'utf8'));
    const bad = await tunefleet(['generate', '--model', model, '--input', join(FIXTURES, 'prompts.jsonl'), '--output', again, '--top-p', '2']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--top-p');
  });
});
