/** The CLI's `--model` flag and its YAML key before run_glue's `model_name_or_path` became canonical. */
export const MODEL_ALIAS = 'model';
const MODEL_KEY = 'model_name_or_path';

/**
 * `top` laid over `base` (flags over a YAML file), undefined values unset. `model` and
 * `model_name_or_path` are one field: a layer that sets either replaces both of the layer below,
 * while one layer that sets both is left holding both, for parseRunConfig to report.
 */
export function overlayRunConfig(base: Readonly<Record<string, unknown>>, top: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  const setsModel = top[MODEL_ALIAS] !== undefined || top[MODEL_KEY] !== undefined;
  if (setsModel) {
    delete merged[MODEL_ALIAS];
    delete merged[MODEL_KEY];
  }
  for (const [key, value] of Object.entries(top)) if (value !== undefined) merged[key] = value;
  return merged;
}
