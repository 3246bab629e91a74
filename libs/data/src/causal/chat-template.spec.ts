import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE, loadChatTemplate, type ChatMessage } from './chat-template.ts';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/chat-templates');

const CHAT: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Hi there' },
  { role: 'assistant', content: 'Hello! How can I help?' },
  { role: 'user', content: 'Book a table' },
];

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function modelDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chat-template-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe('chat templates of public models, rendered as apply_chat_template', () => {
  it('DialoGPT (GPT-2): every message followed by eos_token from special_tokens_map.json; no generation prompt', async () => {
    const template = await loadChatTemplate(join(FIXTURES, 'dialogpt-small'));
    const expected = 'You are terse.<|endoftext|>Hi there<|endoftext|>Hello! How can I help?<|endoftext|>Book a table<|endoftext|>';
    expect(template.render(CHAT)).toBe(expected);
    expect(template.render(CHAT, { addGenerationPrompt: true })).toBe(expected);
    expect(template.isDefault).toBe(false);
    expect(template.endOfTurn()).toBe('<|endoftext|>');
  });

  it('Llama 3: bos_token once, role headers, trimmed content, <|eot_id|>, and the assistant header as generation prompt', async () => {
    const template = await loadChatTemplate(join(FIXTURES, 'llama-3-instruct'));
    const padded = CHAT.map((message) => (message.role === 'user' ? { ...message, content: `  ${message.content} \n` } : message));
    const turns =
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>' +
      '<|start_header_id|>assistant<|end_header_id|>\n\nHello! How can I help?<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nBook a table<|eot_id|>';
    expect(template.render(padded)).toBe(turns);
    expect(template.render(padded, { addGenerationPrompt: true })).toBe(`${turns}<|start_header_id|>assistant<|end_header_id|>\n\n`);
    expect(template.endOfTurn()).toBe('<|eot_id|>');
  });

  it('Qwen2 (ChatML): a default system turn unless the conversation has one, <|im_end|> and a newline after every turn', async () => {
    const template = await loadChatTemplate(join(FIXTURES, 'qwen2-instruct'));
    expect(template.render(CHAT, { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello! How can I help?<|im_end|>\n' +
        '<|im_start|>user\nBook a table<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(template.render(CHAT.slice(1, 2))).toBe('<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n');
    expect(template.endOfTurn()).toBe('<|im_end|>');
  });

  it('assistant spans cover the content and end-of-turn marker, not the header or the newline after it', async () => {
    const qwen = await loadChatTemplate(join(FIXTURES, 'qwen2-instruct'));
    const { text, spans } = qwen.assistantSpans(CHAT);
    expect(spans.map((span) => text.slice(span.start, span.end))).toEqual(['Hello! How can I help?<|im_end|>']);
    const llama = await loadChatTemplate(join(FIXTURES, 'llama-3-instruct'));
    const two = [...CHAT, { role: 'assistant' as const, content: 'For how many?' }];
    const rendered = llama.assistantSpans(two);
    expect(rendered.spans.map((span) => rendered.text.slice(span.start, span.end))).toEqual(['Hello! How can I help?<|eot_id|>', 'For how many?<|eot_id|>']);
  });

  it('chat_template.jinja overrides the config; a list picks "default"; no template means ChatML, the default template', async () => {
    const jinja = await modelDir({ 'tokenizer_config.json': JSON.stringify({ chat_template: 'config', eos_token: '</s>' }), 'chat_template.jinja': '{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}\n{% endfor %}' });
    expect((await loadChatTemplate(jinja)).render(CHAT.slice(1, 3))).toBe('[user]Hi there</s>\n[assistant]Hello! How can I help?</s>\n');
    const listed = await modelDir({ 'tokenizer_config.json': JSON.stringify({ chat_template: [{ name: 'tool_use', template: 'tools' }, { name: 'default', template: 'plain {{ messages | length }}' }] }) });
    expect((await loadChatTemplate(listed)).render(CHAT)).toBe('plain 4');
    const none = await modelDir({ 'tokenizer_config.json': JSON.stringify({ eos_token: '</s>' }) });
    const fallback = await loadChatTemplate(none);
    expect(fallback.isDefault).toBe(true);
    expect(fallback.template).toBe(DEFAULT_CHAT_TEMPLATE);
    expect(fallback.render(CHAT.slice(1, 2), { addGenerationPrompt: true })).toBe('<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
  });

  it('strftime_now uses the given clock; tools is none, as transformers passes it', () => {
    const template = new ChatTemplate("{{ strftime_now('%d %b %Y') }}|{{ 'none' if tools is none else 'set' }}", 'test', {}, { now: () => new Date(2024, 6, 26, 9, 5) });
    expect(template.render([])).toBe('26 Jul 2024|none');
  });
});

describe('chat template errors', () => {
  const MULTILINE = [
    '{% for message in messages %}',
    "{% if message['role'] == 'system' and not loop.first %}",
    "{{ raise_exception('System message must come first') }}",
    '{% endif %}',
    "{{ message['content'] }}",
    '{% endfor %}',
  ].join('\n');

  it('a raise_exception names its message and quotes the template line it is on', () => {
    const template = new ChatTemplate(MULTILINE, 'model/chat_template.jinja');
    // trim_blocks drops the newline after a block tag, not after {{ }}.
    expect(template.render(CHAT.slice(0, 2))).toBe('You are terse.\nHi there\n');
    let error: unknown;
    try {
      template.render([CHAT[1]!, CHAT[0]!]);
    } catch (caught) {
      error = caught;
    }
    expect(errorCode(error)).toBe('CHAT_TEMPLATE_RENDER_FAILED');
    expect((error as Error).message).toBe(
      "model/chat_template.jinja: the chat template fails to render: System message must come first at template line 3: {{ raise_exception('System message must come first') }}",
    );
  });

  it('an unknown filter is quoted where it is used; a template that does not parse is CHAT_TEMPLATE_INVALID', () => {
    const filtered = new ChatTemplate('{% for m in messages %}\n{{ m.content | shout }}\n{% endfor %}', 'cfg');
    expect(() => filtered.render(CHAT)).toThrow(/fails to render: .*shout.* at template line 2: \{\{ m\.content \| shout \}\}/);
    let error: unknown;
    try {
      new ChatTemplate('{% for m in messages %}{{ m.content }}', 'cfg');
    } catch (caught) {
      error = caught;
    }
    expect(errorCode(error)).toBe('CHAT_TEMPLATE_INVALID');
    expect((error as Error).message).toMatch(/^cfg: the chat template does not parse: /);
  });

  it('a chat_template list without "default" is refused, naming the entries', async () => {
    const dir = await modelDir({ 'tokenizer_config.json': JSON.stringify({ chat_template: [{ name: 'rag', template: 'x' }] }) });
    await expect(loadChatTemplate(dir)).rejects.toThrow(/lists templates "rag" but none named "default"/);
  });
});
