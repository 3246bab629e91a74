import { gpt2InnerSize, type Gpt2Config } from './gpt2-config.ts';
import { llamaBiases, llamaHeadDim, llamaKeyValueHeads, type LlamaConfig } from './llama-config.ts';

/**
 * GPT2LMHeadModel's parameters in `named_parameters()` order. GPT-2's Conv1D layers store their
 * weight `[in, out]` (the transpose of nn.Linear's); `lm_head.weight` is tied to `transformer.wte.weight`
 * and not listed, unless `tie_word_embeddings` is false.
 */
export function gpt2ParameterShapes(config: Gpt2Config): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const hidden = config.n_embd;
  const inner = gpt2InnerSize(config);
  shapes.set('transformer.wte.weight', [config.vocab_size, hidden]);
  shapes.set('transformer.wpe.weight', [config.n_positions, hidden]);
  for (let layer = 0; layer < config.n_layer; layer++) {
    const block = `transformer.h.${layer}`;
    addNorm(shapes, `${block}.ln_1`, hidden);
    addConv1D(shapes, `${block}.attn.c_attn`, hidden, 3 * hidden);
    addConv1D(shapes, `${block}.attn.c_proj`, hidden, hidden);
    addNorm(shapes, `${block}.ln_2`, hidden);
    addConv1D(shapes, `${block}.mlp.c_fc`, hidden, inner);
    addConv1D(shapes, `${block}.mlp.c_proj`, inner, hidden);
  }
  addNorm(shapes, 'transformer.ln_f', hidden);
  if (!config.tie_word_embeddings) shapes.set('lm_head.weight', [config.vocab_size, hidden]);
  return shapes;
}

/**
 * LlamaForCausalLM's (and Qwen2ForCausalLM's) parameters in `named_parameters()` order: per layer
 * self_attn q/k/v/o (Linear `[out, in]`; k and v have num_key_value_heads x head_dim outputs), the
 * SwiGLU mlp gate/up/down, then the two RMSNorm weights; `lm_head.weight` unless tied.
 */
export function llamaParameterShapes(config: LlamaConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const hidden = config.hidden_size;
  const headDim = llamaHeadDim(config);
  const qSize = config.num_attention_heads * headDim;
  const kvSize = llamaKeyValueHeads(config) * headDim;
  const biases = llamaBiases(config);
  shapes.set('model.embed_tokens.weight', [config.vocab_size, hidden]);
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    const block = `model.layers.${layer}`;
    addLinear(shapes, `${block}.self_attn.q_proj`, hidden, qSize, biases.qkv);
    addLinear(shapes, `${block}.self_attn.k_proj`, hidden, kvSize, biases.qkv);
    addLinear(shapes, `${block}.self_attn.v_proj`, hidden, kvSize, biases.qkv);
    addLinear(shapes, `${block}.self_attn.o_proj`, qSize, hidden, biases.output);
    addLinear(shapes, `${block}.mlp.gate_proj`, hidden, config.intermediate_size, config.mlp_bias);
    addLinear(shapes, `${block}.mlp.up_proj`, hidden, config.intermediate_size, config.mlp_bias);
    addLinear(shapes, `${block}.mlp.down_proj`, config.intermediate_size, hidden, config.mlp_bias);
    shapes.set(`${block}.input_layernorm.weight`, [hidden]);
    shapes.set(`${block}.post_attention_layernorm.weight`, [hidden]);
  }
  shapes.set('model.norm.weight', [hidden]);
  if (!config.tie_word_embeddings) shapes.set('lm_head.weight', [config.vocab_size, hidden]);
  return shapes;
}

function addNorm(shapes: Map<string, number[]>, name: string, size: number): void {
  shapes.set(`${name}.weight`, [size]);
  shapes.set(`${name}.bias`, [size]);
}

function addConv1D(shapes: Map<string, number[]>, name: string, inputs: number, outputs: number): void {
  shapes.set(`${name}.weight`, [inputs, outputs]);
  shapes.set(`${name}.bias`, [outputs]);
}

function addLinear(shapes: Map<string, number[]>, name: string, inputs: number, outputs: number, bias: boolean): void {
  shapes.set(`${name}.weight`, [outputs, inputs]);
  if (bias) shapes.set(`${name}.bias`, [outputs]);
}
