import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadChatTemplate, parseConversation, type ChatMessage, type ChatTemplate } from '@tunefleet/data';
import {
  DecoderModel,
  eosTokenIds,
  generate,
  loadAdapter,
  loadPretrained,
  positionLimit,
  readGenerationConfig,
  type FinishReason,
  type GenerationConfig,
} from '@tunefleet/model';
import { loadTokenizer, type PretrainedTokenizer } from '@tunefleet/tokenizer';
import { z } from 'zod';
import { startBackend } from '../backend.ts';
import { CliConfigError } from '../cli-config-error.ts';
import { resolveModelArgument } from '../hub-model.ts';
import { parseProcessOptions } from '../process-options.ts';

// A chat answer or a completion of a few sentences; transformers' own default (max_length 20, prompt included) leaves a chat prompt no room.
export const DEFAULT_MAX_NEW_TOKENS = 128;

/**
 * The generation flags of `chat` and `generate`, under generation_config.json's names; each one
 * given overrides the model's generation_config.json (unset: the model's value, or transformers'
 * default).
 */
export const GenerationFlagsSchema = z.strictObject({
  max_new_tokens: z.number().int().positive().optional().describe(`new tokens at most per answer (default: generation_config.json's, else ${DEFAULT_MAX_NEW_TOKENS})`),
  do_sample: z.boolean().optional().describe('sample the next token (temperature, top-k, top-p) instead of greedy search'),
  temperature: z.number().positive().optional().describe('sampling: divide the logits by this'),
  top_k: z.number().int().nonnegative().optional().describe('sampling: keep the k most likely tokens (0: all)'),
  top_p: z.number().gt(0).max(1).optional().describe('sampling: keep the most likely tokens whose probabilities sum to p'),
  repetition_penalty: z.number().positive().optional().describe('penalise tokens already in the context (CTRL; 1: none)'),
  seed: z.number().int().nonnegative().default(0).describe('seed of the sampler: the same seed and settings give the same answers'),
});
export type GenerationFlags = Readonly<z.output<typeof GenerationFlagsSchema>>;

/**
 * The options of `chat` / `generate` from commander's values: --model, --adapter, --backend,
 * --threads and the generation flags, each checked against GenerationFlagsSchema (every bad flag named).
 */
export function generationCommandOptions(values: Record<string, unknown>): ChatModelOptions {
  const flags = {
    max_new_tokens: values['maxNewTokens'],
    do_sample: values['doSample'],
    temperature: values['temperature'],
    top_k: values['topK'],
    top_p: values['topP'],
    repetition_penalty: values['repetitionPenalty'],
    seed: values['seed'],
  };
  const parsed = GenerationFlagsSchema.safeParse(Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined)));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `--${String(issue.path[0] ?? '').replace(/_/g, '-')}: ${issue.message}`);
    throw new CliConfigError(`generation flags: ${issues.join('; ')}`);
  }
  const process = parseProcessOptions(values, 'generation flags');
  return {
    model: String(values['model']),
    ...(typeof values['adapter'] === 'string' ? { adapter: values['adapter'] } : {}),
    ...(process.backend === undefined ? {} : { backend: process.backend }),
    ...(process.threads === undefined ? {} : { threads: process.threads }),
    flags: parsed.data,
  };
}

/** A decoder ready to generate: its tokenizer, chat template, generation settings and context length. */
export interface ChatModel {
  readonly dir: string;
  readonly model: DecoderModel<unknown>;
  readonly tokenizer: PretrainedTokenizer;
  readonly template: ChatTemplate;
  /** The model's generation_config.json with the flags over it. */
  readonly config: GenerationConfig;
  /** Longest prompt + answer, in tokens (n_positions, or max_position_embeddings for RoPE models). */
  readonly contextLength: number;
  /** Where the template closes an assistant turn (`<|im_end|>`); generation stops there. */
  readonly endOfTurn: string;
  readonly seed: number;
}

export interface ChatModelOptions {
  readonly model: string;
  readonly adapter?: string;
  readonly backend?: string;
  readonly threads?: number;
  readonly flags: GenerationFlags;
}

/**
 * Loads a causal LM directory (a hub id is downloaded first) for generation: weights, tokenizer, chat
 * template (ChatML when it has none), generation_config.json, and with `adapter` a PEFT LoRA adapter
 * on top (`loadAdapter`, as PeftModel.from_pretrained; the base stays frozen and unmerged).
 */
export async function loadChatModel(options: ChatModelOptions, log: (line: string) => void): Promise<ChatModel> {
  await startBackend({ backend: options.backend, threads: options.threads });
  const dir = await resolveModelArgument(options.model, log);
  const { model, config } = await loadPretrained(dir, { task: 'causal-lm', log });
  if (!(model instanceof DecoderModel)) {
    model.dispose();
    throw new CliConfigError(`--model: ${dir} is a ${config.model_type} model; chat and generate need a causal language model (gpt2, llama, qwen2)`);
  }
  let decoder: DecoderModel<unknown> = model;
  if (options.adapter !== undefined) {
    const lora = await loadAdapter(model, options.adapter);
    decoder = lora.base;
    log(`adapter: ${options.adapter}`);
  }
  const tokenizer = await loadTokenizer(dir);
  const template = await loadChatTemplate(dir);
  if (template.isDefault) log(`chat template: ${template.source}`);
  const base = await readGenerationConfig(dir, config as Parameters<typeof readGenerationConfig>[1]);
  const flags = Object.fromEntries(Object.entries(options.flags).filter(([key, value]) => key !== 'seed' && value !== undefined));
  const generation = { ...base, ...flags, max_new_tokens: options.flags.max_new_tokens ?? base.max_new_tokens ?? DEFAULT_MAX_NEW_TOKENS } as GenerationConfig;
  const contextLength = decoder.contextLimit?.length ?? positionLimit(config).limit;
  if (generation.max_new_tokens! >= contextLength) {
    decoder.dispose();
    throw new CliConfigError(`--max-new-tokens ${generation.max_new_tokens} leaves no room for a prompt in the model's context of ${contextLength} tokens; give fewer`);
  }
  return { dir, model: decoder, tokenizer, template, config: generation, contextLength, endOfTurn: template.endOfTurn(), seed: options.flags.seed };
}

/** Token ids of `text` as written, no special tokens added (the template writes the ones it wants). */
export function textIds(tokenizer: PretrainedTokenizer, text: string): number[] {
  return tokenizer.convertTokensToIds(tokenizer.tokenize(text));
}

/** What one answer streams to: text as it becomes final (never half a character, never part of the end-of-turn marker). */
export interface AnswerResult {
  readonly text: string;
  readonly tokens: number;
  readonly finishReason: FinishReason;
}

/**
 * Generates after `prompt` and streams the answer's text to `write` as tokens come: the decoded
 * text without special tokens, held back while it ends in an incomplete character or in what may
 * be the start of the template's end-of-turn marker, and cut at that marker.
 */
export function streamAnswer(chat: ChatModel, prompt: readonly number[], write: (text: string) => void, seedOffset = 0): AnswerResult {
  const { tokenizer, endOfTurn } = chat;
  const eos = new Set(eosTokenIds(chat.config));
  const stopStrings = [chat.config.stop_strings ?? []].flat().concat(endOfTurn !== '' ? [endOfTurn] : []);
  const tokens: number[] = [];
  let written = 0;
  const visible = (isFinal: boolean): string => {
    let text = tokenizer.decode(tokens.filter((id) => !eos.has(id)), { skipSpecialTokens: true });
    const cut = endOfTurn === '' ? -1 : text.indexOf(endOfTurn);
    if (cut >= 0) return text.slice(0, cut);
    if (isFinal) return text;
    if (text.endsWith('\uFFFD')) text = text.slice(0, -1);
    for (let keep = Math.min(endOfTurn.length - 1, text.length); keep > 0; keep--) {
      if (endOfTurn.startsWith(text.slice(text.length - keep))) return text.slice(0, text.length - keep);
    }
    return text;
  };
  const flush = (isFinal: boolean): void => {
    const text = visible(isFinal);
    if (text.length > written) {
      write(text.slice(written));
      written = text.length;
    }
  };
  const result = generate(chat.model, prompt, {
    base: chat.config,
    config: stopStrings.length > 0 ? { stop_strings: stopStrings } : {},
    seed: chat.seed + seedOffset,
    decode: (ids) => tokenizer.decode([...ids], { skipSpecialTokens: false }),
    onToken: (id) => {
      tokens.push(id);
      flush(false);
    },
  });
  flush(true);
  return { text: visible(true), tokens: result.tokens.length, finishReason: result.finishReason };
}

export interface GenerateCommandOptions extends ChatModelOptions {
  readonly input: string;
  readonly output: string;
}

/**
 * `tunefleet generate`: one answer per input row. Rows are JSON Lines: `{"prompt": "..."}` (the text
 * continued as written, as the text-generation pipeline does) or `{"messages": [...]}` (rendered by
 * the chat template with the generation prompt). Each output row repeats the input's fields and
 * adds `generated_text`, `finish_reason` and `new_tokens`.
 */
export async function runGenerate(options: GenerateCommandOptions): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const rows = await readPromptRows(options.input);
  const chat = await loadChatModel(options, say);
  try {
    const out = createWriteStream(options.output);
    for (const [index, row] of rows.entries()) {
      const prompt = row.messages !== undefined ? textIds(chat.tokenizer, chat.template.render(row.messages, { addGenerationPrompt: true })) : promptIds(chat, row.prompt!);
      if (prompt.length >= chat.contextLength) {
        throw new CliConfigError(`${options.input}:${row.line}: the prompt is ${prompt.length} tokens; the model's context holds ${chat.contextLength}, leaving no room for an answer`);
      }
      const answer = streamAnswer(chat, prompt, () => undefined, index);
      out.write(`${JSON.stringify({ ...row.fields, generated_text: answer.text, finish_reason: answer.finishReason, new_tokens: answer.tokens })}\n`);
    }
    out.end();
    await once(out, 'finish');
  } finally {
    chat.model.dispose();
  }
  say(`wrote ${rows.length} generations to ${options.output}`);
  return 0;
}

/** A plain prompt's ids: as written, or the bos token for an empty prompt (generation needs one token). */
function promptIds(chat: ChatModel, prompt: string): number[] {
  const ids = textIds(chat.tokenizer, prompt);
  if (ids.length > 0) return ids;
  const bos = chat.config.bos_token_id;
  if (bos === undefined || bos === null) throw new CliConfigError('an empty prompt needs a bos_token_id in generation_config.json or config.json to start from');
  return [bos];
}

interface PromptRow {
  readonly line: number;
  readonly fields: Record<string, unknown>;
  readonly prompt?: string;
  readonly messages?: ChatMessage[];
}

async function readPromptRows(file: string): Promise<PromptRow[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliConfigError(`--input: cannot read ${file} (${(error as Error).message})`);
  }
  const rows: PromptRow[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(raw) as Record<string, unknown>;
    } catch (error) {
      problems.push(`${file}:${line}: not valid JSON (${(error as Error).message})`);
      return;
    }
    if (typeof fields?.['prompt'] === 'string') {
      rows.push({ line, fields, prompt: fields['prompt'] });
      return;
    }
    if (Array.isArray(fields?.['messages'])) {
      const messages = parseConversation(raw, false);
      if (typeof messages === 'string') problems.push(`${file}:${line}: ${messages}`);
      else rows.push({ line, fields, messages });
      return;
    }
    problems.push(`${file}:${line}: expected {"prompt": "..."} or {"messages": [{"role": ..., "content": ...}]}`);
  });
  if (problems.length > 0) throw new CliConfigError(`--input: ${problems.length} bad row(s):\n  ${problems.slice(0, 20).join('\n  ')}`);
  if (rows.length === 0) throw new CliConfigError(`--input: ${file} has no prompts`);
  return rows;
}
