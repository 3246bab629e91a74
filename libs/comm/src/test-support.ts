// Helpers the specs of more than one room share; test code only (vitest collects *.spec.ts, never this).
import type { SharedMemory } from './data-plane/shared-regions.ts';
import type { CommLogger } from './options.ts';

export type LoggedLines = Array<{ message: string; fields?: Readonly<Record<string, unknown>> }>;

/** A logger that keeps what it was told, for asserting on refusals and fallbacks. */
export function recordingLogger(): CommLogger & { lines: LoggedLines } {
  const lines: LoggedLines = [];
  return { lines, warn: (message, fields) => lines.push({ message, fields }) };
}

let machines = 0;

/**
 * One machine's memory files, in process: `open` of another machine's path fails as a foreign /proc
 * path would. native-kernels' shared-memory.spec.ts checks the real memfd one across processes.
 */
export function fakeMachine(): SharedMemory & { opened: string[] } {
  const machine = machines++;
  const files = new Map<string, ArrayBuffer>();
  const opened: string[] = [];
  return {
    opened,
    create: (bytes) => {
      const path = `/fake/${machine}/${files.size}`;
      const buffer = new ArrayBuffer(bytes);
      files.set(path, buffer);
      return { buffer, path };
    },
    open: (path, bytes) => {
      const buffer = files.get(path);
      if (buffer === undefined) throw new Error(`cannot see ${path} (another machine)`);
      if (buffer.byteLength < bytes) throw new Error(`${path} holds ${buffer.byteLength} bytes`);
      opened.push(path);
      return buffer;
    },
  };
}
