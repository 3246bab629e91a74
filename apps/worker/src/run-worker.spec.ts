import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runWorker, WORKER_EXIT_CODES } from './run-worker.ts';

const TOKEN = 'test-token-0123456789abcdef';

describe('runWorker TLS files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'run-worker-tls-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fails with TLS_INVALID naming a missing or a garbage file and its role, before dialling the coordinator', async () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a PEM file\n');
    const missing = join(dir, 'missing.crt');
    for (const [certFile, named] of [[missing, `cannot read TLS certificate file ${missing}`], [garbage, `TLS certificate file ${garbage} is not a PEM`]] as const) {
      const lines: string[] = [];
      // Port 1 is never a coordinator: reaching it would mean the files were not checked first.
      const result = await runWorker({ coordinator: '127.0.0.1:1', token: TOKEN, tls: { caFile: garbage, certFile, keyFile: garbage }, connectTimeoutMs: 0, log: (line) => lines.push(line) });
      expect(result.exitCode).toBe(WORKER_EXIT_CODES.failed);
      expect(result.reason).toMatch(/^TLS_INVALID: /);
      expect(result.reason).toContain(named);
      expect(lines.join('\n')).not.toContain('registered');
    }
  });
});
