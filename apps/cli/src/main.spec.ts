import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

function helpOf(command: string): Promise<{ code: number; text: string }> {
  let text = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  // One line per run of whitespace: commander wraps long help at the terminal's width.
  return main([command, '--help']).then((code) => ({ code, text: text.replace(/\s+/g, ' ') }));
}

describe('tunefleet --help', () => {
  it('lists the schema flags of train, evaluate and predict with their help and defaults', async () => {
    const train = await helpOf('train');
    expect(train.code).toBe(0);
    expect(train.text).toMatch(/--collective-timeout-ms <n> with --workers: deadline of one all-reduce.*\(default: 30000\)/);
    expect(train.text).toMatch(/--max-seq-length <n> truncate to at most this many tokens/);
    for (const command of ['evaluate', 'predict']) {
      const { code, text } = await helpOf(command);
      expect(code).toBe(0);
      expect(text).toMatch(/--text-column <value> column holding the text \(default: the first of text, sentence, sentence1 in the file\)/);
      expect(text).toMatch(/--max-seq-length <n>.*\(default: 128\)/);
      expect(text).toMatch(/--backend <value>/);
    }
    expect((await helpOf('predict')).text).not.toContain('--label-column');
    expect((await helpOf('worker')).text).toMatch(/--threads <n>/);
  });
});
