export { maskRow, type MaskableRow, type MaskingOptions } from './mask-tokens.ts';
export { MaskedLmDataset, withMaskingEpochs, type MaskedLmRows } from './masked-lm-dataset.ts';
export { encodeMaskedLmTexts, type MaskedLmEncodeOptions, type MaskedLmTokenizer } from './encode-masked-lm.ts';
