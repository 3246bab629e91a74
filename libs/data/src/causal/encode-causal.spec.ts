import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, IGNORE_INDEX } from '@tunefleet/core';
import { SubwordTokenizer } from '@tunefleet/tokenizer';
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE, loadChatTemplate } from './chat-template.ts';
import { encodeConversations, tokenizeSpans } from './encode-conversations.ts';
import { encodeTextBlocks } from './encode-text-blocks.ts';
import { readConversations } from './read-conversations.ts';

const TOKENIZER_DIR = resolve(import.meta.dirname, '../../../tokenizer/fixtures/families/roberta-bpe');
const QWEN = resolve(import.meta.dirname, '../../fixtures/chat-templates/qwen2-instruct');

let tokenizer: SubwordTokenizer;
let work: string;
beforeAll(async () => {
  tokenizer = await SubwordTokenizer.fromPretrained(TOKENIZER_DIR);
  work = await mkdtemp(join(tmpdir(), 'encode-causal-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const ids = (text: string) => tokenizer.convertTokensToIds(tokenizer.tokenize(text));
const row = (...messages: [string, string][]) => JSON.stringify({ messages: messages.map(([role, content]) => ({ role, content })) });

async function chatFile(name: string, lines: string[]): Promise<string> {
  const file = join(work, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

const base = { blockSize: 512, padId: 1, assistantOnlyLoss: true, packing: false, longConversation: 'truncate' as const, skipBadRows: false };

describe('chat JSONL', () => {
  it('reads conversations; reports an unknown role, an empty assistant turn, no assistant turn and bad JSON with file and line', async () => {
    const file = await chatFile('bad.jsonl', [
      row(['user', 'hello there'], ['assistant', 'hi']),
      row(['user', 'hello'], ['bot', 'hi']),
      '',
      row(['user', 'hello'], ['assistant', '   ']),
      row(['user', 'only a question']),
      '{"messages": [',
    ]);
    let error: unknown;
    try {
      await readConversations(file);
    } catch (caught) {
      error = caught;
    }
    expect(errorCode(error)).toBe('DATA_INVALID_ROWS');
    const message = (error as Error).message;
    expect(message).toContain(`${file}:2: message 2: role "bot" is not one of system, user, assistant`);
    expect(message).toContain(`${file}:4: message 2: empty assistant turn`);
    expect(message).toContain(`${file}:5: no assistant turn to learn from`);
    expect(message).toContain(`${file}:6: not valid JSON`);
    const skipped = await readConversations(file, { skipBadRows: true });
    expect(skipped.conversations.map((c) => c.line)).toEqual([1]);
    expect(skipped.badRows).toHaveLength(4);
    expect((await readConversations(file, { skipBadRows: true, requireAssistant: false })).conversations.map((c) => c.line)).toEqual([1, 5]);
  });
});

describe('encodeConversations', () => {
  it('labels the assistant turns only: the ids of the span text, -100 elsewhere; span-wise tokens equal whole-text tokens here', async () => {
    const template = await loadChatTemplate(QWEN);
    const messages = [
      { role: 'user' as const, content: 'book a table for two' },
      { role: 'assistant' as const, content: 'which day?' },
      { role: 'user' as const, content: 'friday' },
      { role: 'assistant' as const, content: 'done, friday at eight.' },
    ];
    const { text, spans } = template.assistantSpans(messages);
    const encoded = tokenizeSpans(text, spans, tokenizer, true);
    expect(encoded.ids).toEqual(ids(text));
    const labelled = encoded.ids.filter((_, i) => encoded.labels[i] !== IGNORE_INDEX);
    expect(labelled).toEqual([...ids('which day?<|im_end|>'), ...ids('done, friday at eight.<|im_end|>')]);
    expect(encoded.labels.slice(0, ids(text.slice(0, spans[0]!.start)).length).every((label) => label === IGNORE_INDEX)).toBe(true);
    const everything = tokenizeSpans(text, spans, tokenizer, false);
    expect(everything.labels).toEqual(everything.ids);
  });

  it('truncates a conversation past block_size and counts it, drops one with no assistant token left, or refuses it with file and line', async () => {
    const long = 'tell me about the weather in the city and the trains and the buses '.repeat(3);
    const file = await chatFile('long.jsonl', [row(['user', 'hi'], ['assistant', 'hello']), row(['user', 'hi'], ['assistant', long]), row(['user', long], ['assistant', 'no'])]);
    const { conversations } = await readConversations(file);
    const template = new ChatTemplate(DEFAULT_CHAT_TEMPLATE, 'default');
    const blockSize = ids(template.render(conversations[0]!.messages)).length + 4;
    const cut = encodeConversations(conversations, template, tokenizer, { ...base, file, blockSize });
    expect(cut.truncated).toBe(2);
    expect(cut.dropped).toBe(1);
    expect(cut.dataset.size).toBe(2);
    expect(cut.dataset.length(1)).toBe(blockSize);
    let error: unknown;
    try {
      encodeConversations(conversations, template, tokenizer, { ...base, file, blockSize, longConversation: 'error' });
    } catch (caught) {
      error = caught;
    }
    expect(errorCode(error)).toBe('DATA_INVALID_ROWS');
    expect((error as Error).message).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: conversation is \\d+ tokens, longer than block_size ${blockSize}`));
    expect((error as Error).message).toContain(':3: conversation is');
  });

  it('a conversation the template refuses is a bad row that quotes the template line', async () => {
    const file = await chatFile('order.jsonl', [row(['user', 'hi'], ['assistant', 'hello']), row(['assistant', 'first'], ['user', 'hi'])]);
    const { conversations } = await readConversations(file);
    const template = new ChatTemplate("{% if messages[0]['role'] != 'user' %}\n{{ raise_exception('Conversations must start with a user turn') }}\n{% endif %}{% for m in messages %}{{ m.content }}\n{% endfor %}", 'tpl');
    expect(() => encodeConversations(conversations, template, tokenizer, { ...base, file })).toThrow(
      /order\.jsonl:2: tpl: the chat template fails to render: Conversations must start with a user turn at template line 2/,
    );
    expect(encodeConversations(conversations, template, tokenizer, { ...base, file, skipBadRows: true }).dataset.size).toBe(1);
  });

  it('packing places whole conversations into blocks best-fit-decreasing, every token kept in order', async () => {
    const file = await chatFile('short.jsonl', Array.from({ length: 6 }, (_, i) => row(['user', `question ${i}`], ['assistant', `answer ${'word '.repeat(i)}`])));
    const { conversations } = await readConversations(file);
    const template = new ChatTemplate(DEFAULT_CHAT_TEMPLATE, 'default');
    const plain = encodeConversations(conversations, template, tokenizer, { ...base, file });
    const blockSize = 2 * Math.max(...Array.from({ length: plain.dataset.size }, (_, i) => plain.dataset.length(i)));
    const packed = encodeConversations(conversations, template, tokenizer, { ...base, file, blockSize, packing: true });
    expect(plain.dataset.size).toBe(6);
    expect(packed.dataset.size).toBeLessThanOrEqual(3);
    const tokens = (dataset: typeof plain.dataset) => Array.from({ length: dataset.size }, (_, i) => dataset.length(i)).reduce((a, b) => a + b, 0);
    expect(tokens(packed.dataset)).toBe(tokens(plain.dataset));
    for (let i = 0; i < packed.dataset.size; i++) expect(packed.dataset.length(i)).toBeLessThanOrEqual(blockSize);
    const batch = packed.dataset.batch([0]);
    expect(Array.from(batch.labels!).some((label) => label === IGNORE_INDEX)).toBe(true);
  });
});

describe('encodeTextBlocks', () => {
  it('packs lines (with their special tokens) into blocks of block_size, keeps a shorter last block, or one row per line', () => {
    const lines = ['the cat sat on the mat', 'a dog ran in the park today', 'birds sing'];
    const perLine = lines.map((line) => tokenizer.encode(line).inputIds);
    const total = perLine.reduce((sum, line) => sum + line.length, 0);
    const blocks = encodeTextBlocks(lines, tokenizer, { blockSize: 8, padId: 1, lineByLine: false });
    expect(blocks.size).toBe(Math.ceil(total / 8));
    const first = blocks.batch([0]);
    expect(Array.from(first.inputIds)).toEqual(perLine.flat().slice(0, 8));
    expect(Array.from(first.labels!)).toEqual(Array.from(first.inputIds));
    const rows = encodeTextBlocks(lines, tokenizer, { blockSize: 6, padId: 1, lineByLine: true });
    expect(rows.size).toBe(3);
    expect(rows.length(2)).toBe(Math.min(6, perLine[2]!.length));
    expect(() => encodeTextBlocks(lines, tokenizer, { blockSize: 1, padId: 1, lineByLine: false })).toThrow(/block_size must be at least 2/);
  });
});
