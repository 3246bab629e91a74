import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAdapter, loadPretrained, mergeAndUnload } from '@tunefleet/model';
import { startBackend } from '../backend.ts';
import { resolveModelArgument } from '../hub-model.ts';

export interface MergeAdapterOptions {
  /** The base model: a directory in Hugging Face layout or a hub repo id. */
  readonly model: string;
  /** A PEFT LoRA adapter directory (adapter_config.json, adapter_model.safetensors). */
  readonly adapter: string;
  readonly output: string;
  readonly backend?: string;
  readonly threads?: number;
}

// What a model directory carries besides its weights and config.json: the tokenizer (every format
// transformers saves), the chat template and the generation defaults, copied over as they are.
const COMPANION_FILES = /^(tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|vocab\.(txt|json)|merges\.txt|added_tokens\.json|.*\.model|chat_template\.(jinja|json)|generation_config\.json)$/;

/**
 * `tunefleet merge-adapter`: PEFT's merge_and_unload. Each adapted weight becomes
 * `W + lora_alpha / r * B A` (transposed for GPT-2's Conv1D) and the result is saved as a plain
 * model (config.json, model.safetensors) that loads without the adapter, with the base model's
 * tokenizer, chat template and generation_config.json beside it.
 */
export async function runMergeAdapter(options: MergeAdapterOptions): Promise<number> {
  await startBackend(options);
  const dir = await resolveModelArgument(options.model);
  const { model } = await loadPretrained(dir, { task: 'causal-lm' });
  let merged;
  try {
    const lora = await loadAdapter(model, options.adapter);
    process.stderr.write(`adapter ${options.adapter}: r ${lora.adapters.settings.r}, ${lora.adapters.targets.length} modules, scaling ${lora.adapters.scaling}\n`);
    merged = mergeAndUnload(lora);
  } catch (error) {
    model.dispose();
    throw error;
  }
  try {
    await mkdir(options.output, { recursive: true });
    await merged.save(options.output);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isFile() && COMPANION_FILES.test(entry.name)) await copyFile(join(dir, entry.name), join(options.output, entry.name));
    }
  } finally {
    merged.dispose();
  }
  process.stderr.write(`merged model in ${options.output}\n`);
  return 0;
}
