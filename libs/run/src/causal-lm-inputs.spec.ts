import { describe, expect, it } from 'vitest';
import { isChatFile, resolveBlockSize } from './causal-lm-inputs.ts';

describe('causal LM inputs', () => {
  it('block_size: run_clm default min(context, 1024); a longer one is cut to the context with a warning', () => {
    const table = { file: 'm/config.json', limit: 512, description: 'n_positions 512' };
    const lines: string[] = [];
    expect(resolveBlockSize({ block_size: undefined }, table, (line) => lines.push(line))).toBe(512);
    expect(resolveBlockSize({ block_size: undefined }, { ...table, limit: 4096 }, (line) => lines.push(line))).toBe(1024);
    expect(resolveBlockSize({ block_size: 128 }, table, (line) => lines.push(line))).toBe(128);
    expect(lines).toEqual([]);
    expect(resolveBlockSize({ block_size: 2048 }, table, (line) => lines.push(line))).toBe(512);
    expect(lines[0]).toContain('block_size (--block-size) 2048 is longer than the model\'s context (m/config.json has n_positions 512); using 512');
  });

  it('chat data is JSON Lines; anything else is plain text', () => {
    expect(isChatFile('a/chats.jsonl')).toBe(true);
    expect(isChatFile('a/chats.JSON')).toBe(true);
    expect(isChatFile('a/corpus.txt')).toBe(false);
  });
});
