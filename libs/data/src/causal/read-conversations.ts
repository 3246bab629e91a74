import { noExamplesError, settleBadRows, type BadRow } from '../data-error.ts';
import { decodeLines, readRawFile } from '../raw-file.ts';
import { CHAT_ROLES, type ChatMessage, type ChatRole } from './chat-template.ts';

/** One conversation of a chat file and its physical line (1-based). */
export interface Conversation {
  readonly line: number;
  readonly messages: readonly ChatMessage[];
}

export interface ConversationSet {
  readonly file: string;
  readonly conversations: Conversation[];
  /** Rows dropped with `skipBadRows` (empty otherwise: bad rows throw). */
  readonly badRows: BadRow[];
}

export interface ReadConversationsOptions {
  readonly skipBadRows?: boolean;
  /** Training data: every conversation needs an assistant turn to learn from (default true). */
  readonly requireAssistant?: boolean;
}

const ROLES: ReadonlySet<string> = new Set(CHAT_ROLES);

/**
 * Chat data in TRL's conversational format: JSON Lines, one conversation per line,
 * `{"messages": [{"role": "system" | "user" | "assistant", "content": "..."}, ...]}` (other keys
 * ignored). Bad rows, reported as `file:line: reason` (all of them in one DATA_INVALID_ROWS error,
 * or dropped and returned with `skipBadRows`): not JSON, no `messages` list, an unknown role, a
 * content that is not a string, an empty assistant turn, no assistant turn (training data).
 * Blank lines are skipped.
 */
export async function readConversations(file: string, options: ReadConversationsOptions = {}): Promise<ConversationSet> {
  const raw = await readRawFile(file);
  const conversations: Conversation[] = [];
  const badRows: BadRow[] = [];
  const requireAssistant = options.requireAssistant ?? true;
  decodeLines(raw).forEach((text, index) => {
    const line = index + 1;
    if (raw.badUtf8Lines.has(line)) {
      badRows.push({ file, line, reason: 'invalid UTF-8' });
      return;
    }
    if (text.trim() === '') return;
    const parsed = parseConversation(text, requireAssistant);
    if (typeof parsed === 'string') badRows.push({ file, line, reason: parsed });
    else conversations.push({ line, messages: parsed });
  });
  settleBadRows(file, badRows, options.skipBadRows);
  if (conversations.length === 0) throw noExamplesError(file, badRows.length);
  return { file, conversations, badRows };
}

/** A row's messages, or why the row is bad. */
export function parseConversation(text: string, requireAssistant: boolean): ChatMessage[] | string {
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return 'expected a JSON object with a "messages" list';
  const messages = (row as { messages?: unknown }).messages;
  if (!Array.isArray(messages)) return 'no "messages" list (TRL\'s conversational format: {"messages": [{"role": ..., "content": ...}]})';
  if (messages.length === 0) return '"messages" is empty';
  const out: ChatMessage[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as { role?: unknown; content?: unknown } | null;
    const where = `message ${i + 1}`;
    if (message === null || typeof message !== 'object') return `${where} is not an object with role and content`;
    if (typeof message.role !== 'string' || !ROLES.has(message.role)) {
      return `${where}: role ${JSON.stringify(message.role ?? null)} is not one of ${CHAT_ROLES.join(', ')}`;
    }
    if (typeof message.content !== 'string') return `${where} (${message.role}): content must be a string, got ${message.content === null ? 'null' : typeof message.content}`;
    if (message.role === 'assistant' && message.content.trim() === '') return `${where}: empty assistant turn`;
    out.push({ role: message.role as ChatRole, content: message.content });
  }
  if (requireAssistant && !out.some((message) => message.role === 'assistant')) return 'no assistant turn to learn from';
  return out;
}
