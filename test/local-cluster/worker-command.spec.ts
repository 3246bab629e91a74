// `tunefleet worker` as its own OS process against an in-test coordinator on 127.0.0.1:0.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startCoordinator, type RunningCoordinator } from '@tunefleet/coordinator';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../data-parallel/support.ts';
import { waitUntil } from './processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');
const TOKEN = 'worker-command-token-0123456789abcdef';

let coordinator: RunningCoordinator | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await coordinator?.stop();
  coordinator = undefined;
  await removeTempDirs();
});

function worker(args: string[], env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [BIN, 'worker', ...args], { cwd: ROOT, env: { ...process.env, TUNEFLEET_TOKEN: undefined, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  const run = { child, stderr: '', exited: new Promise<number | null>((done) => child.once('exit', (code) => done(code))) };
  child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  return run;
}

describe('tunefleet worker', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('registers with the token from $TUNEFLEET_TOKEN and leaves cleanly on %s (exit %i)', async (signal, code) => {
    coordinator = await startCoordinator({ port: 0, dbPath: join(await tempDir(), 'jobs.db'), token: TOKEN, log: () => {} });
    const run = worker(['--coordinator', coordinator.address, '--backend', 'cpu', '--worker-id', 'cmd-0'], { TUNEFLEET_TOKEN: TOKEN });
    await waitUntil(() => run.stderr.includes('registered as cmd-0'), 60_000);
    run.child.kill(signal);
    expect(await run.exited, run.stderr).toBe(code);
    expect(run.stderr).toContain(`${signal}: leaving the job`);
  });

  it('refuses to start without a token, and with a wrong one', async () => {
    const missing = worker(['--coordinator', '127.0.0.1:1'], {});
    expect(await missing.exited).toBe(1);
    expect(missing.stderr).toContain('a cluster token is required: pass --token or set TUNEFLEET_TOKEN');

    coordinator = await startCoordinator({ port: 0, dbPath: join(await tempDir(), 'jobs.db'), token: TOKEN, log: () => {} });
    const wrong = worker(['--coordinator', coordinator.address, '--backend', 'cpu', '--token', 'x'.repeat(32)], {});
    expect(await wrong.exited).toBe(1);
    expect(wrong.stderr).toMatch(/UNAUTHENTICATED.*check --token/);
  });
});
