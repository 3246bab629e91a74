// Causal language modelling data (libs/data's index re-exports this): chat templates, chat JSONL, plain-text blocks.
export { CHAT_ROLES, ChatTemplate, DEFAULT_CHAT_TEMPLATE, loadChatTemplate, type ChatMessage, type ChatRole, type ChatTemplateOptions, type TextSpan } from './chat-template.ts';
export { ChatTemplateError, type ChatTemplateErrorCode } from './chat-template-error.ts';
export { locateTemplateLine, type TemplateLine } from './template-line.ts';
export { strftime } from './strftime.ts';
export { parseConversation, readConversations, type Conversation, type ConversationSet, type ReadConversationsOptions } from './read-conversations.ts';
export { encodeConversations, tokenizeSpans, type EncodeConversationsOptions, type EncodedConversations, type TextTokenizer } from './encode-conversations.ts';
export { encodeTextBlocks, type CausalTextTokenizer, type EncodeTextBlocksOptions } from './encode-text-blocks.ts';
export { causalDataset, packRows, type CausalRow } from './causal-rows.ts';
