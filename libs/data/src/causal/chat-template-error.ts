import { TunefleetError } from '@tunefleet/core';

/**
 * Stable codes for chat templates: a template file that cannot be read, a template that does not
 * parse, a `chat_template` entry that is neither a string nor a list with a "default" entry, and a
 * conversation the template refuses to render (its own `raise_exception`, or a jinja runtime error).
 */
export type ChatTemplateErrorCode = 'CHAT_TEMPLATE_READ_FAILED' | 'CHAT_TEMPLATE_INVALID' | 'CHAT_TEMPLATE_RENDER_FAILED';

export class ChatTemplateError extends TunefleetError<ChatTemplateErrorCode> {
  override readonly name: string = 'ChatTemplateError';
}
