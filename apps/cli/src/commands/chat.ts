import { createInterface } from 'node:readline';
import type { ChatMessage } from '@tunefleet/data';
import { loadChatModel, streamAnswer, textIds, type ChatModel, type ChatModelOptions } from './generate.ts';

export interface ChatCommandOptions extends ChatModelOptions {
  /** A system message that opens the conversation and survives /reset and dropped turns. */
  readonly system?: string;
}

export interface ChatIo {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Notices (dropped turns, /reset) and the banner: stderr, so piped answers stay clean. */
  readonly notices: NodeJS.WritableStream;
  /** A terminal: prompts are shown and answers framed; piped: one answer line per input line. */
  readonly isInteractive: boolean;
}

const HELP = 'type a message; /reset starts over, /exit (or Ctrl-D) ends';

/**
 * `tunefleet chat`: a conversation with a causal LM in the terminal. Each message is added to the
 * history, the history is rendered with the model's chat template and the answer streams token by
 * token; the oldest turns are dropped (and said so) when the history and a full answer would
 * outgrow the model's context. `/reset` clears the history, `/exit` or end of input ends. With piped
 * stdin every line is one message and every answer one line of stdout (its line breaks as spaces).
 */
export async function runChat(options: ChatCommandOptions, io: ChatIo = defaultIo()): Promise<number> {
  const notice = (line: string) => io.notices.write(`${line}\n`);
  const chat = await loadChatModel(options, notice);
  const opening: ChatMessage[] = options.system === undefined ? [] : [{ role: 'system', content: options.system }];
  let history: ChatMessage[] = [...opening];
  let turn = 0;
  if (io.isInteractive) notice(`chatting with ${chat.dir} (context ${chat.contextLength} tokens); ${HELP}`);
  const lines = createInterface({ input: io.input, terminal: false, crlfDelay: Infinity });
  const prompt = () => {
    if (io.isInteractive) io.output.write('you> ');
  };
  prompt();
  try {
    for await (const raw of lines) {
      const line = raw.trim();
      if (line === '/exit' || line === '/quit') break;
      if (line === '/reset') {
        history = [...opening];
        notice('(history cleared)');
      } else if (line !== '') {
        const fitted = fitHistory(chat, [...history, { role: 'user', content: line }], opening.length);
        if (fitted.dropped > 0) notice(`(dropped the ${fitted.dropped} oldest turn${fitted.dropped === 1 ? '' : 's'} to fit the model's context of ${chat.contextLength} tokens)`);
        if (fitted.ids === undefined) {
          notice(`(your message alone is ${fitted.length} tokens; with room for an answer the context holds ${chat.contextLength - chat.config.max_new_tokens!}: not sent)`);
          history = fitted.messages.slice(0, -1);
        } else {
          if (io.isInteractive) io.output.write('assistant> ');
          // Piped: answer N is line N of stdout, its own line breaks written as spaces.
          const show = io.isInteractive ? (text: string) => io.output.write(text) : (text: string) => io.output.write(text.replace(/\r?\n/g, ' '));
          const answer = streamAnswer(chat, fitted.ids, show, turn++);
          io.output.write('\n');
          history = [...fitted.messages, { role: 'assistant', content: answer.text }];
        }
      }
      prompt();
    }
  } finally {
    lines.close();
    chat.model.dispose();
  }
  if (io.isInteractive) io.output.write('\n');
  return 0;
}

/**
 * The history with its oldest turns dropped (after the opening system message) until the rendered
 * prompt plus max_new_tokens fits the context; `ids` is undefined when even the newest message
 * alone does not fit.
 */
export function fitHistory(chat: ChatModel, messages: ChatMessage[], keep: number): { messages: ChatMessage[]; ids?: number[]; dropped: number; length: number } {
  const budget = chat.contextLength - chat.config.max_new_tokens!;
  let current = messages;
  let dropped = 0;
  for (;;) {
    const ids = textIds(chat.tokenizer, chat.template.render(current, { addGenerationPrompt: true }));
    if (ids.length <= budget && ids.length > 0) return { messages: current, ids, dropped, length: ids.length };
    if (current.length - keep <= 1) return { messages: current, dropped, length: ids.length };
    // A turn is a user message and the answer after it: drop both, so the history still starts with a user turn.
    const cut = current[keep + 1]?.role === 'assistant' ? 2 : 1;
    current = [...current.slice(0, keep), ...current.slice(keep + cut)];
    dropped += cut;
  }
}

function defaultIo(): ChatIo {
  return { input: process.stdin, output: process.stdout, notices: process.stderr, isInteractive: Boolean(process.stdin.isTTY) };
}
