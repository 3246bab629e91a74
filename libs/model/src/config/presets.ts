import { parseBertConfig, type BertConfig } from './bert-config.ts';

export type BertPresetName = 'tiny' | 'mini' | 'small' | 'medium' | 'base';

/** [layers, hidden, heads]; intermediate is 4 x hidden and heads are hidden / 64, as Google's. */
const SIZES: Readonly<Record<BertPresetName, readonly [number, number, number]>> = {
  tiny: [2, 128, 2], // google/bert_uncased_L-2_H-128_A-2
  mini: [4, 256, 4], // google/bert_uncased_L-4_H-256_A-4
  small: [4, 512, 8], // google/bert_uncased_L-4_H-512_A-8
  medium: [8, 512, 8], // google/bert_uncased_L-8_H-512_A-8
  base: [12, 768, 12], // bert-base-uncased
};

/**
 * Google's BERT sizes ("Well-Read Students Learn Better", 2019) plus base, with the
 * bert-base-uncased vocabulary (30522) and every other field at its default. Frozen.
 */
export const BERT_PRESETS: Readonly<Record<BertPresetName, BertConfig>> = Object.freeze(
  Object.fromEntries(
    Object.entries(SIZES).map(([name, [layers, hidden, heads]]) => [
      name,
      parseBertConfig(
        { num_hidden_layers: layers, hidden_size: hidden, num_attention_heads: heads, intermediate_size: 4 * hidden },
        `<preset ${name}>`,
      ),
    ]),
  ) as Record<BertPresetName, BertConfig>,
);
