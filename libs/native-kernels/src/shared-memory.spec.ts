import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { nativeSharedMemory, nativeUnavailableReason } from './index.ts';

const require = createRequire(import.meta.url);
const shared = nativeSharedMemory();
const skipReason = shared ? '' : ` [SKIPPED: ${nativeUnavailableReason()}]`;

describe.skipIf(shared === undefined)(`nativeSharedMemory${skipReason}`, () => {
  it('creates zero-filled memory that another process reads through its /proc path, and sees later writes', () => {
    const { buffer, path } = shared!.create(1 << 20);
    expect(path).toMatch(new RegExp(`^/proc/${process.pid}/fd/\\d+$`));
    expect(readlinkSync(path)).toMatch(/^\/memfd:tunefleet-collective/);
    const values = new Float32Array(buffer);
    expect(values.every((v) => v === 0)).toBe(true);
    values[0] = 1.5;
    values[values.length - 1] = -2.25;
    // A second process (not this one, so not the same mapping) opens and reads it.
    const script = `const m = require(${JSON.stringify(require.resolve('../build/Release/tunefleet_native.node'))});
      const v = new Float32Array(m.sharedMemoryOpen(process.argv[1], ${1 << 20}));
      process.stdout.write(JSON.stringify([v[0], v[v.length - 1], v.length]));`;
    expect(JSON.parse(execFileSync(process.execPath, ['-e', script, path], { encoding: 'utf8' }))).toEqual([1.5, -2.25, 1 << 18]);
    const view = new Float32Array(shared!.open(path, 1 << 20));
    values[7] = 42;
    expect(view[7]).toBe(42); // the same pages, not a copy
  });

  it('maps read-only: the opener cannot change the creator (checked in a child, which would crash)', () => {
    const { path } = shared!.create(4096);
    const script = `const m = require(${JSON.stringify(require.resolve('../build/Release/tunefleet_native.node'))});
      const v = new Float32Array(m.sharedMemoryOpen(process.argv[1], 4096)); v[0] = 1;`;
    let status: number | null = 0;
    let signal: string | null = null;
    try {
      execFileSync(process.execPath, ['-e', script, path], { stdio: 'ignore' });
    } catch (error) {
      ({ status, signal } = error as { status: number | null; signal: string | null });
    }
    expect(signal ?? status).not.toBe(0);
  });

  it('opens only tunefleet shared memory (a neighbour chooses the path), naming the path and the sizes when it cannot', () => {
    expect(() => shared!.open('/etc/passwd', 16)).toThrow('"/etc/passwd" is not a /proc/<pid>/fd/<fd> path');
    expect(() => shared!.open(`/proc/${process.pid}/fd/999999`, 16)).toThrow(new RegExp(`cannot see /proc/${process.pid}/fd/999999 \\(another machine or process namespace\\?\\)`));
    expect(() => shared!.open(`/proc/${process.pid}/fd/1`, 16)).toThrow(/is .*, not tunefleet's shared memory/);
    const { path } = shared!.create(4096);
    expect(() => shared!.open(path, 8192)).toThrow(`${path} holds 4096 bytes, expected at least 8192`);
    expect(() => shared!.create(0)).toThrow(/bytes must be a positive integer/);
  });
});
