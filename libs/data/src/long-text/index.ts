export { LONG_TEXT_STRATEGIES, windowSpans, type LongTextStrategy } from './long-text-windows.ts';
export { averageWindowLogits, encodeLongTexts, type LongTextDataset, type LongTextOptions, type UntruncatedTokenizer } from './encode-long-texts.ts';
