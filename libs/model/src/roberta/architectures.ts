import type { RobertaConfig } from '../config/index.ts';
import type { ModelTask } from '../trainable.ts';

/** Hugging Face class names per task: RoBERTa's, and XLM-R's (same modules, `model_type` "xlm-roberta"). */
export const ROBERTA_ARCHITECTURES: Readonly<Record<ModelTask, string>> = {
  'sequence-classification': 'RobertaForSequenceClassification',
  'token-classification': 'RobertaForTokenClassification',
  'masked-lm': 'RobertaForMaskedLM',
};

export const XLM_ROBERTA_ARCHITECTURES: Readonly<Record<ModelTask, string>> = {
  'sequence-classification': 'XLMRobertaForSequenceClassification',
  'token-classification': 'XLMRobertaForTokenClassification',
  'masked-lm': 'XLMRobertaForMaskedLM',
};

export function robertaArchitectures(config: Pick<RobertaConfig, 'model_type'>): Readonly<Record<ModelTask, string>> {
  return config.model_type === 'xlm-roberta' ? XLM_ROBERTA_ARCHITECTURES : ROBERTA_ARCHITECTURES;
}
