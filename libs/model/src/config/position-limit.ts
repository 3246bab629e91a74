import type { ModelConfig } from './model-config.ts';
import { robertaMaxSequenceLength } from './roberta-config.ts';

/**
 * The longest input a model of this config embeds, and how its config.json says so: BERT's and
 * DistilBERT's `max_position_embeddings`, RoBERTa's positions after pad_token_id, GPT-2's
 * `n_positions`. Llama / Qwen2 (RoPE) have no table: `max_position_embeddings` is the length they
 * were trained at, which transformers does not enforce; it is returned as the limit all the same.
 */
export function positionLimit(config: ModelConfig): { limit: number; description: string } {
  switch (config.model_type) {
    case 'roberta':
    case 'xlm-roberta': {
      const limit = robertaMaxSequenceLength(config);
      return { limit, description: `max_position_embeddings ${config.max_position_embeddings} (${limit} positions after pad_token_id ${config.pad_token_id})` };
    }
    case 'gpt2':
      return { limit: config.n_positions, description: `n_positions ${config.n_positions}` };
    default:
      return { limit: config.max_position_embeddings, description: `max_position_embeddings ${config.max_position_embeddings}` };
  }
}
