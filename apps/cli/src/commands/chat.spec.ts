import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@tunefleet/compute';
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE, type ChatMessage } from '@tunefleet/data';
import { createModel, DecoderModel, familyPresetConfig, GenerationConfigSchema } from '@tunefleet/model';
import { SubwordTokenizer } from '@tunefleet/tokenizer';
import { fitHistory } from './chat.ts';
import { streamAnswer, textIds, type ChatModel } from './generate.ts';

const TOKENIZER_DIR = resolve(import.meta.dirname, '../../../../libs/tokenizer/fixtures/families/roberta-bpe');

let chat: ChatModel;
beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  const tokenizer = await SubwordTokenizer.fromPretrained(TOKENIZER_DIR);
  const config = familyPresetConfig('llama', 'tiny', { vocabSize: tokenizer.vocabSize, padTokenId: 1, bosTokenId: 0, eosTokenId: 2 });
  const model = createModel(config, 'causal-lm', { seed: 3 });
  if (!(model instanceof DecoderModel)) throw new Error('expected a decoder');
  const template = new ChatTemplate(DEFAULT_CHAT_TEMPLATE, 'default', {}, {}, true);
  chat = {
    dir: 'memory',
    model,
    tokenizer,
    template,
    config: { ...GenerationConfigSchema.parse({}), max_new_tokens: 8 },
    contextLength: 120,
    endOfTurn: template.endOfTurn(),
    seed: 0,
  };
});

describe('streamAnswer', () => {
  it('writes the answer token by token: the pieces join to the final text, greedy answers repeat', () => {
    const prompt = textIds(chat.tokenizer, chat.template.render([{ role: 'user', content: 'hello there' }], { addGenerationPrompt: true }));
    const pieces: string[] = [];
    const answer = streamAnswer(chat, prompt, (text) => pieces.push(text));
    expect(answer.tokens).toBeGreaterThan(0);
    expect(answer.tokens).toBeLessThanOrEqual(8);
    expect(pieces.join('')).toBe(answer.text);
    expect(pieces.length).toBeGreaterThan(1);
    expect(streamAnswer(chat, prompt, () => undefined).text).toBe(answer.text);
  });

  it('cuts the answer at the end-of-turn marker and never writes part of it', () => {
    expect(chat.endOfTurn).toBe('<|im_end|>');
    // The model is made to write exactly the marker's tokens: nothing of it may reach the screen.
    const pieces: string[] = [];
    const marker = chat.tokenizer.convertTokensToIds(chat.tokenizer.tokenize('<|im_end|>'));
    const forced: ChatModel = { ...chat, model: scriptedModel(chat.model, marker), config: { ...chat.config, max_new_tokens: marker.length + 4 } };
    const answer = streamAnswer(forced, [5, 6, 7], (text) => pieces.push(text));
    expect(answer.finishReason).toBe('stop-string');
    expect(answer.tokens).toBe(marker.length);
    expect(answer.text).toBe('');
    expect(pieces.join('')).toBe('');
  });
});

describe('fitHistory', () => {
  const turn = (i: number): ChatMessage[] => [
    { role: 'user', content: `question ${i} about trains` },
    { role: 'assistant', content: `answer ${i}` },
  ];

  it('keeps everything that fits; drops the oldest user/assistant pairs after the system message until it fits', () => {
    const system: ChatMessage = { role: 'system', content: 'be brief' };
    const short = fitHistory(chat, [system, { role: 'user', content: 'hi' }], 1);
    expect(short.dropped).toBe(0);
    expect(short.ids?.length).toBe(short.length);
    const long = [system, ...turn(1), ...turn(2), ...turn(3), { role: 'user' as const, content: 'last one' }];
    const fitted = fitHistory(chat, long, 1);
    expect(fitted.dropped).toBeGreaterThan(0);
    expect(fitted.dropped % 2).toBe(0);
    expect(fitted.messages[0]).toEqual(system);
    expect(fitted.messages[1]!.role).toBe('user');
    expect(fitted.messages.at(-1)).toEqual({ role: 'user', content: 'last one' });
    expect(fitted.ids!.length).toBeLessThanOrEqual(chat.contextLength - 8);
    const alone = fitHistory(chat, [{ role: 'user', content: 'word '.repeat(80) }], 0);
    expect(alone.ids).toBeUndefined();
    expect(alone.length).toBeGreaterThan(chat.contextLength - 8);
  });
});

/** The model with its decode rigged so the next tokens are `script` in order (one-hot logits), for the stop checks. */
function scriptedModel(model: DecoderModel<unknown>, script: readonly number[]): DecoderModel<unknown> {
  let step = 0;
  const rigged = Object.create(model) as DecoderModel<unknown>;
  rigged.decode = (input) => {
    const out = model.decode(input);
    const [batch, seq, vocab] = out.logits.shape;
    const next = script[Math.min(step++, script.length - 1)]!;
    const values = new Float32Array(batch * seq * vocab).fill(-10);
    for (let s = 0; s < batch * seq; s++) values[s * vocab + next] = 10;
    out.logits.dispose();
    return { logits: tf.tensor3d(values, [batch, seq, vocab]), cache: out.cache };
  };
  return rigged;
}
