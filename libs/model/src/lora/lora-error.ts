import { TunefleetError } from '@tunefleet/core';

export type LoraErrorCode =
  | 'LORA_TARGET_NOT_FOUND' // a target module the model does not have (the message lists the ones it has)
  | 'LORA_UNSUPPORTED_MODEL' // LoRA asked of a model without adapter hooks (the encoder families)
  | 'ADAPTER_CONFIG_INVALID' // adapter_config.json unreadable, not LoRA, or asking for what tunefleet lacks (DoRA, biases)
  | 'ADAPTER_WEIGHTS_MISMATCH'; // adapter_model.safetensors lacks a tensor, has an extra one, or a shape differs from the model's

/** A LoRA adapter that cannot be built, loaded or applied. Fatal: fix the flags or the adapter files. */
export class LoraError extends TunefleetError<LoraErrorCode> {
  override readonly name: string = 'LoraError';
}
