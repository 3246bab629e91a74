import { IGNORE_INDEX } from '@tunefleet/core';
import { invalidRowsError, sortBadRows, type BadRow } from '../data-error.ts';
import type { EncodedDataset } from '../encoded-dataset.ts';
import { causalDataset, hasLabels, packRows, type CausalRow } from './causal-rows.ts';
import { ChatTemplateError } from './chat-template-error.ts';
import type { ChatTemplate, TextSpan } from './chat-template.ts';
import type { Conversation } from './read-conversations.ts';

/** What chat encoding needs of a tokenizer: text to tokens without special tokens added, tokens to ids. */
export interface TextTokenizer {
  tokenize(text: string): string[];
  convertTokensToIds(tokens: string[]): number[];
}

export interface EncodeConversationsOptions {
  /** The file the conversations came from (bad rows name it). */
  readonly file: string;
  /** Longest row in tokens (run_clm's block_size, TRL's max_length). */
  readonly blockSize: number;
  readonly padId: number;
  /** TRL's assistant_only_loss: labels on assistant turns only, IGNORE_INDEX elsewhere. */
  readonly assistantOnlyLoss: boolean;
  /** TRL's packing: conversations packed into rows of up to blockSize tokens. */
  readonly packing: boolean;
  /** A conversation longer than blockSize: cut to its first blockSize tokens and counted, or a bad row. */
  readonly longConversation: 'truncate' | 'error';
  readonly skipBadRows: boolean;
}

export interface EncodedConversations {
  readonly dataset: EncodedDataset;
  /** Conversations cut to blockSize tokens. */
  readonly truncated: number;
  /** Conversations dropped because no assistant token was left after truncation. */
  readonly dropped: number;
  /** Rows before packing (one per kept conversation). */
  readonly conversations: number;
  /** Bad rows skipped (skipBadRows): overlong with longConversation 'error', or refused by the template. */
  readonly badRows: BadRow[];
}

/**
 * Conversations as causal-LM rows: each rendered by the chat template (as apply_chat_template with
 * tokenize=True: the text tokenized without adding special tokens; the template writes bos_token
 * where the model wants one), labels on the assistant turns only (their content and end-of-turn
 * marker) or on every token, truncated or refused past blockSize, then packed or one per row. The
 * text is tokenized span by span, so a token never straddles a turn boundary (template markers and
 * newlines end pre-tokens there).
 */
export function encodeConversations(conversations: readonly Conversation[], template: ChatTemplate, tokenizer: TextTokenizer, options: EncodeConversationsOptions): EncodedConversations {
  const rows: CausalRow[] = [];
  const badRows: BadRow[] = [];
  let truncated = 0;
  let dropped = 0;
  for (const conversation of conversations) {
    let rendered: { text: string; spans: TextSpan[] };
    try {
      rendered = template.assistantSpans(conversation.messages);
    } catch (error) {
      if (!(error instanceof ChatTemplateError)) throw error;
      badRows.push({ file: options.file, line: conversation.line, reason: error.message });
      continue;
    }
    let row = tokenizeSpans(rendered.text, rendered.spans, tokenizer, options.assistantOnlyLoss);
    if (row.ids.length > options.blockSize) {
      if (options.longConversation === 'error') {
        badRows.push({
          file: options.file,
          line: conversation.line,
          reason: `conversation is ${row.ids.length} tokens, longer than block_size ${options.blockSize} (long_conversation_strategy error; truncate keeps its first ${options.blockSize} tokens)`,
        });
        continue;
      }
      row = { ids: row.ids.slice(0, options.blockSize), labels: row.labels.slice(0, options.blockSize) };
      truncated += 1;
      if (!hasLabels(row)) {
        dropped += 1;
        continue;
      }
    }
    rows.push(row);
  }
  sortBadRows(badRows);
  if (badRows.length > 0 && !options.skipBadRows) throw invalidRowsError(options.file, badRows);
  const packed = options.packing ? packRows(rows, options.blockSize) : rows;
  return { dataset: causalDataset(packed, options.padId), truncated, dropped, conversations: rows.length, badRows };
}

/** Tokens of `text` cut at the span edges; labels are the ids inside spans (or everywhere). */
export function tokenizeSpans(text: string, spans: readonly TextSpan[], tokenizer: TextTokenizer, assistantOnlyLoss: boolean): CausalRow {
  const ids: number[] = [];
  const labels: number[] = [];
  const push = (piece: string, isLabelled: boolean): void => {
    if (piece.length === 0) return;
    const pieceIds = tokenizer.convertTokensToIds(tokenizer.tokenize(piece));
    ids.push(...pieceIds);
    labels.push(...pieceIds.map((id) => (isLabelled ? id : IGNORE_INDEX)));
  };
  let cursor = 0;
  for (const span of spans) {
    push(text.slice(cursor, span.start), !assistantOnlyLoss);
    push(text.slice(span.start, span.end), true);
    cursor = span.end;
  }
  push(text.slice(cursor), !assistantOnlyLoss);
  return { ids, labels };
}
