import type { ModelTask } from '../trainable.ts';

/** Hugging Face class name per task, as written to config.json `architectures`. */
export const DISTILBERT_ARCHITECTURES: Readonly<Record<ModelTask, string>> = {
  'sequence-classification': 'DistilBertForSequenceClassification',
  'token-classification': 'DistilBertForTokenClassification',
  'masked-lm': 'DistilBertForMaskedLM',
};
