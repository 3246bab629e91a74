import { describe, expect, it } from 'vitest';
import { parseBertConfig } from './bert-config.ts';
import { bertParameterShapes } from './parameter-shapes.ts';
import { BERT_PRESETS } from './presets.ts';

// The style guide's tiny test config, with 3 labels.
const tiny = parseBertConfig(
  { vocab_size: 99, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37, max_position_embeddings: 64, num_labels: 3 },
  'tiny',
);

const ENCODER_PER_LAYER = 16;

describe('bertParameterShapes', () => {
  it('sequence-classification: embeddings, encoder, pooler, classifier [labels, hidden]', () => {
    const shapes = bertParameterShapes(tiny, 'sequence-classification');
    expect(shapes.size).toBe(5 + 2 * ENCODER_PER_LAYER + 2 + 2);
    expect([...shapes.keys()].slice(0, 5)).toEqual([
      'bert.embeddings.word_embeddings.weight',
      'bert.embeddings.position_embeddings.weight',
      'bert.embeddings.token_type_embeddings.weight',
      'bert.embeddings.LayerNorm.weight',
      'bert.embeddings.LayerNorm.bias',
    ]);
    expect(shapes.get('bert.embeddings.word_embeddings.weight')).toEqual([99, 32]);
    expect(shapes.get('bert.embeddings.position_embeddings.weight')).toEqual([64, 32]);
    expect(shapes.get('bert.embeddings.token_type_embeddings.weight')).toEqual([2, 32]);
    expect(shapes.get('bert.encoder.layer.1.attention.self.key.weight')).toEqual([32, 32]);
    expect(shapes.get('bert.encoder.layer.1.intermediate.dense.weight')).toEqual([37, 32]);
    expect(shapes.get('bert.encoder.layer.1.output.dense.weight')).toEqual([32, 37]);
    expect(shapes.get('bert.encoder.layer.1.output.LayerNorm.bias')).toEqual([32]);
    expect([...shapes.keys()].slice(-4)).toEqual(['bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'classifier.weight', 'classifier.bias']);
    expect(shapes.get('classifier.weight')).toEqual([3, 32]);
    expect(shapes.get('classifier.bias')).toEqual([3]);
  });

  it('token-classification: no pooler', () => {
    const shapes = bertParameterShapes(tiny, 'token-classification');
    expect([...shapes.keys()].some((name) => name.includes('pooler'))).toBe(false);
    expect([...shapes.keys()].slice(-2)).toEqual(['classifier.weight', 'classifier.bias']);
    expect(shapes.size).toBe(5 + 2 * ENCODER_PER_LAYER + 2);
  });

  it('masked-lm: prediction head without pooler or the tied decoder weight', () => {
    const shapes = bertParameterShapes(tiny, 'masked-lm');
    expect([...shapes.keys()].slice(-5)).toEqual([
      'cls.predictions.bias',
      'cls.predictions.transform.dense.weight',
      'cls.predictions.transform.dense.bias',
      'cls.predictions.transform.LayerNorm.weight',
      'cls.predictions.transform.LayerNorm.bias',
    ]);
    expect(shapes.get('cls.predictions.bias')).toEqual([99]);
    expect(shapes.has('cls.predictions.decoder.weight')).toBe(false);
    expect([...shapes.keys()].some((name) => name.includes('pooler') || name.startsWith('classifier'))).toBe(false);
  });

  it('none: the bare encoder', () => {
    const shapes = bertParameterShapes(tiny, 'none');
    expect(shapes.size).toBe(5 + 2 * ENCODER_PER_LAYER);
    expect([...shapes.keys()].every((name) => name.startsWith('bert.embeddings.') || name.startsWith('bert.encoder.'))).toBe(true);
  });

  it('bert-base with 2 labels has the well-known 109,483,778 parameters', () => {
    const count = [...bertParameterShapes(BERT_PRESETS.base, 'sequence-classification').values()].reduce(
      (sum, shape) => sum + shape.reduce((a, b) => a * b, 1),
      0,
    );
    expect(count).toBe(109_483_778);
  });
});

describe('BERT_PRESETS', () => {
  it.each([
    ['tiny', 2, 128, 2, 512],
    ['mini', 4, 256, 4, 1024],
    ['small', 4, 512, 8, 2048],
    ['medium', 8, 512, 8, 2048],
    ['base', 12, 768, 12, 3072],
  ] as const)('%s is %i layers x %i hidden, %i heads, %i intermediate', (name, layers, hidden, heads, intermediate) => {
    const preset = BERT_PRESETS[name];
    expect([preset.num_hidden_layers, preset.hidden_size, preset.num_attention_heads, preset.intermediate_size]).toEqual([
      layers,
      hidden,
      heads,
      intermediate,
    ]);
    expect(preset.vocab_size).toBe(30522);
    expect(Object.isFrozen(preset)).toBe(true);
  });
});
