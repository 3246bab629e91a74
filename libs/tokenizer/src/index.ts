export const placeholder = 'tokenizer';
