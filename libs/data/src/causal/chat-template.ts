import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { ChatTemplateError } from './chat-template-error.ts';
import { strftime } from './strftime.ts';
import { describeTemplateLine, locateTemplateLine } from './template-line.ts';

/** The roles of TRL's conversational format that tunefleet trains and chats with. */
export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

/** One turn of a conversation: `{"role": "user", "content": "..."}`. */
export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

/**
 * The template of a model that has none: ChatML, which transformers' PreTrainedTokenizerBase used
 * as its class-level `default_chat_template` until 4.43 (and Qwen2 uses with its own system line).
 */
export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** transformers' SPECIAL_TOKENS_ATTRIBUTES: what `special_tokens_map` passes to the template. */
const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token', 'additional_special_tokens'] as const;

export interface ChatTemplateOptions {
  /** The clock of `strftime_now` (a date in a system prompt); the real one by default. */
  readonly now?: () => Date;
}

/** A character span `[start, end)` of a rendered conversation. */
export interface TextSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * A chat template rendered as transformers' `apply_chat_template(tokenize=False)` does: jinja with
 * trim_blocks and lstrip_blocks (@huggingface/jinja's defaults), the variables `messages`, `tools`
 * and `documents` (none), `add_generation_prompt`, the tokenizer's special tokens
 * (`special_tokens_map`: bos_token, eos_token, ...), and the globals `raise_exception` and
 * `strftime_now`.
 */
export class ChatTemplate {
  private readonly parsed: Template;

  constructor(
    readonly template: string,
    /** Where the template came from, for messages: `dir/tokenizer_config.json (chat_template)`. */
    readonly source: string,
    /** The special tokens as the template sees them (`bos_token: "<s>"`, ...). */
    readonly specialTokens: Readonly<Record<string, string | readonly string[]>> = {},
    private readonly options: ChatTemplateOptions = {},
    /** Whether this is DEFAULT_CHAT_TEMPLATE, used because the model has no template. */
    readonly isDefault = false,
  ) {
    try {
      this.parsed = new Template(template);
    } catch (cause) {
      const message = (cause as Error).message;
      throw new ChatTemplateError('CHAT_TEMPLATE_INVALID', `${source}: the chat template does not parse: ${message}${describeTemplateLine(locateTemplateLine(template, message))}`, { cause });
    }
  }

  /** The conversation as text; with `addGenerationPrompt` the header of the assistant's next turn follows. */
  render(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
    const now = this.options.now ?? (() => new Date());
    try {
      const env = globalsEnvironment((format) => strftime(now(), format));
      const variables: Record<string, unknown> = {
        ...this.specialTokens,
        messages: messages.map((message) => ({ role: message.role, content: message.content })),
        tools: null,
        documents: null,
        add_generation_prompt: options.addGenerationPrompt ?? false,
      };
      for (const [key, value] of Object.entries(variables)) env.set(key, value);
      return (new Interpreter(env).run(this.parsed.parsed) as { value: string }).value;
    } catch (cause) {
      const message = (cause as Error).message;
      throw new ChatTemplateError(
        'CHAT_TEMPLATE_RENDER_FAILED',
        `${this.source}: the chat template fails to render: ${message}${describeTemplateLine(locateTemplateLine(this.template, message))}`,
        { cause },
      );
    }
  }

  /**
   * Where each assistant turn lies in `render(messages)`, found by rendering prefix by prefix (TRL's
   * assistant_only_loss without `{% generation %}` tags): a turn runs from the end of the prefix
   * before it rendered with the generation prompt to the end of the prefix that includes it, so its
   * end-of-turn marker (`<|im_end|>`, `<|eot_id|>`, eos_token) counts and the generation header does
   * not; whitespace after the marker does not count. A template whose prefixes are not prefixes of
   * the whole (one that rewrites earlier turns) falls back to finding the turn's content text.
   */
  assistantSpans(messages: readonly ChatMessage[]): { text: string; spans: TextSpan[] } {
    const text = this.render(messages);
    const spans: TextSpan[] = [];
    let cursor = 0;
    messages.forEach((message, index) => {
      if (message.role !== 'assistant') return;
      const before = this.render(messages.slice(0, index), { addGenerationPrompt: true });
      const through = this.render(messages.slice(0, index + 1));
      if (through.startsWith(before) && text.startsWith(through) && before.length >= cursor) {
        const end = before.length + through.slice(before.length).trimEnd().length;
        spans.push({ start: before.length, end: Math.max(end, before.length) });
        cursor = end;
        return;
      }
      const content = message.content.trim();
      const start = text.indexOf(content, cursor);
      if (start < 0) {
        throw new ChatTemplateError(
          'CHAT_TEMPLATE_RENDER_FAILED',
          `${this.source}: cannot find assistant turn ${index + 1} in the rendered conversation (the template changes the turn's text), so its tokens cannot be labelled`,
        );
      }
      spans.push({ start, end: start + content.length });
      cursor = start + content.length;
    });
    return { text, spans };
  }

  /**
   * What the template writes after an assistant's content to close the turn (`<|im_end|>`,
   * `<|eot_id|>`, the eos_token), trimmed; empty when it writes nothing. Generation stops there.
   */
  endOfTurn(): string {
    const marker = '\u0000assistant-content\u0000';
    try {
      const text = this.render([
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: marker },
      ]);
      const after = text.slice(text.indexOf(marker) + marker.length);
      return text.includes(marker) ? after.trim() : '';
    } catch {
      return '';
    }
  }
}

/**
 * The globals of transformers' chat-template environment, as @huggingface/jinja's Template sets
 * them, with `strftime_now` on the given clock in English (Python's C locale) instead of the
 * library's, which follows the process's locale and the real time.
 */
function globalsEnvironment(strftimeNow: (format: string) => string): Environment {
  const env = new Environment();
  for (const [key, value] of [['false', false], ['true', true], ['none', null], ['False', false], ['True', true], ['None', null]] as const) env.set(key, value);
  env.set('raise_exception', (text: unknown) => {
    throw new Error(String(text));
  });
  env.set('range', (start: number, stop?: number, step = 1) => {
    const [from, to] = stop === undefined || stop === null ? [0, start] : [start, stop];
    const out: number[] = [];
    if (step > 0) for (let i = from; i < to; i += step) out.push(i);
    else if (step < 0) for (let i = from; i > to; i += step) out.push(i);
    return out;
  });
  env.set('strftime_now', (format: unknown) => strftimeNow(String(format)));
  return env;
}

/**
 * A model directory's chat template, as transformers loads it: `chat_template.jinja` when present
 * (current transformers saves it there, and it overrides the config's), else tokenizer_config.json's
 * `chat_template` (a string, or a list of `{name, template}` whose "default" entry is used), else
 * DEFAULT_CHAT_TEMPLATE (ChatML). Special tokens come from tokenizer_config.json, then
 * special_tokens_map.json for keys it lacks (strings or `{content}` objects; null means unset).
 */
export async function loadChatTemplate(dir: string, options: ChatTemplateOptions = {}): Promise<ChatTemplate> {
  const configFile = join(dir, 'tokenizer_config.json');
  const config = await readJsonObject(configFile);
  const specialTokens = specialTokensOf(config, await readJsonObject(join(dir, 'special_tokens_map.json')));
  const jinjaFile = join(dir, 'chat_template.jinja');
  const jinja = await readText(jinjaFile);
  if (jinja !== undefined) return new ChatTemplate(jinja, jinjaFile, specialTokens, options);
  const entry = config?.['chat_template'];
  if (entry === undefined || entry === null) return new ChatTemplate(DEFAULT_CHAT_TEMPLATE, `default ChatML template (${dir} has no chat template)`, specialTokens, options, true);
  if (typeof entry === 'string') return new ChatTemplate(entry, `${configFile} (chat_template)`, specialTokens, options);
  if (Array.isArray(entry)) {
    const named = entry.find((item): item is { name: string; template: string } => typeof item === 'object' && item !== null && item.name === 'default' && typeof item.template === 'string');
    if (named) return new ChatTemplate(named.template, `${configFile} (chat_template "default")`, specialTokens, options);
    const names = entry.map((item) => JSON.stringify((item as { name?: unknown })?.name ?? null)).join(', ');
    throw new ChatTemplateError('CHAT_TEMPLATE_INVALID', `${configFile}: chat_template lists templates ${names} but none named "default"; name one "default"`);
  }
  throw new ChatTemplateError('CHAT_TEMPLATE_INVALID', `${configFile}: chat_template must be a string or a list of {name, template}, got ${typeof entry}`);
}

function specialTokensOf(config: Record<string, unknown> | undefined, map: Record<string, unknown> | undefined): Record<string, string | string[]> {
  const content = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string' ? (value as { content: string }).content : undefined;
  const tokens: Record<string, string | string[]> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const value = config?.[key] !== undefined ? config[key] : map?.[key];
    if (key === 'additional_special_tokens') {
      if (Array.isArray(value)) tokens[key] = value.map(content).filter((token): token is string => token !== undefined);
      continue;
    }
    const token = content(value);
    if (token !== undefined) tokens[key] = token;
  }
  return tokens;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ChatTemplateError('CHAT_TEMPLATE_READ_FAILED', `${file}: cannot read: ${(cause as Error).message}`, { cause });
  }
}

async function readJsonObject(file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readText(file);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ChatTemplateError('CHAT_TEMPLATE_READ_FAILED', `${file}: not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ChatTemplateError('CHAT_TEMPLATE_READ_FAILED', `${file}: expected a JSON object`);
  return json as Record<string, unknown>;
}
