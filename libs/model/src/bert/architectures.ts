import type { ModelTask } from '../trainable.ts';

/** Hugging Face class name per task, as written to config.json `architectures` and in warnings. */
export const ARCHITECTURES: Readonly<Record<ModelTask, string>> = {
  'sequence-classification': 'BertForSequenceClassification',
  'token-classification': 'BertForTokenClassification',
  'masked-lm': 'BertForMaskedLM',
};
