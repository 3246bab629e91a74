// Trainer bookkeeping in evaluation results, not scores of the model (HF leaves them out of cards too).
const BOOKKEEPING = new Set(['runtime', 'samples_per_second', 'steps_per_second', 'epoch', 'step', 'total_flos']);

/** "eval_f1_macro" -> "f1_macro"; bookkeeping keys ("eval_runtime") -> undefined. */
export function scoreName(key: string): string | undefined {
  const name = key.replace(/^(?:eval|test|predict)_/, '');
  return BOOKKEEPING.has(name) ? undefined : name;
}

/** "f1_macro" -> "F1 Macro", "accuracy" -> "Accuracy" (HF cards' column titles). */
export function metricTitle(name: string): string {
  return name
    .split('_')
    .map((word) => (word === 'f1' ? 'F1' : word.charAt(0).toUpperCase() + word.slice(1)))
    .join(' ');
}

/** Four decimals, as HF cards print scores (1 as 1.0000, so a column reads alike); other values as they are. */
export function formatScore(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(4) : String(value);
}
