import type { MarianConfig } from './marian-config.ts';

/** MarianMTModel's `final_logits_bias` buffer `[1, vocab]`: loaded and saved with the weights, never trained. */
export const FINAL_LOGITS_BIAS = 'final_logits_bias';

/**
 * MarianMTModel's parameters in `named_parameters()` order: `model.shared.weight` (the encoder's and
 * decoder's `embed_tokens` are the same table and not listed), the learned `embed_positions.weight`
 * only when `static_position_embeddings` is false (the sinusoidal table is not trained), per encoder
 * layer self_attn k/v/q/out (Linear `[out, in]`, with biases), self_attn_layer_norm, fc1, fc2,
 * final_layer_norm; per decoder layer the same plus encoder_attn and encoder_attn_layer_norm after
 * self-attention; `lm_head.weight` unless tied.
 */
export function marianParameterShapes(config: MarianConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const width = config.d_model;
  shapes.set('model.shared.weight', [config.vocab_size, width]);
  for (const [side, layers, ffn] of [
    ['encoder', config.encoder_layers, config.encoder_ffn_dim],
    ['decoder', config.decoder_layers, config.decoder_ffn_dim],
  ] as const) {
    if (!config.static_position_embeddings) shapes.set(`model.${side}.embed_positions.weight`, [config.max_position_embeddings, width]);
    for (let layer = 0; layer < layers; layer++) {
      const block = `model.${side}.layers.${layer}`;
      addAttention(shapes, `${block}.self_attn`, width);
      addNorm(shapes, `${block}.self_attn_layer_norm`, width);
      if (side === 'decoder') {
        addAttention(shapes, `${block}.encoder_attn`, width);
        addNorm(shapes, `${block}.encoder_attn_layer_norm`, width);
      }
      addLinear(shapes, `${block}.fc1`, width, ffn);
      addLinear(shapes, `${block}.fc2`, ffn, width);
      addNorm(shapes, `${block}.final_layer_norm`, width);
    }
  }
  if (!config.tie_word_embeddings) shapes.set('lm_head.weight', [config.vocab_size, width]);
  return shapes;
}

/** The parameters plus the `final_logits_bias` buffer: what a checkpoint holds and loading reads. */
export function marianCheckpointShapes(config: MarianConfig): Map<string, number[]> {
  const shapes = marianParameterShapes(config);
  shapes.set(FINAL_LOGITS_BIAS, [1, config.vocab_size]);
  return shapes;
}

function addAttention(shapes: Map<string, number[]>, name: string, width: number): void {
  for (const projection of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) addLinear(shapes, `${name}.${projection}`, width, width);
}

function addNorm(shapes: Map<string, number[]>, name: string, size: number): void {
  shapes.set(`${name}.weight`, [size]);
  shapes.set(`${name}.bias`, [size]);
}

function addLinear(shapes: Map<string, number[]>, name: string, inputs: number, outputs: number): void {
  shapes.set(`${name}.weight`, [outputs, inputs]);
  shapes.set(`${name}.bias`, [outputs]);
}
