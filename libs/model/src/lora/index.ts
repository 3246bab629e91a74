// LoRA adapters (PEFT's semantics and files), re-exported by the lib's index.ts.
export { LoraError, type LoraErrorCode } from './lora-error.ts';
export { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, DEFAULT_LORA_SETTINGS, DEFAULT_LORA_TARGET_MODULES, loraScaling, readAdapterConfig, type AdapterConfig, type LoraSettings } from './lora-config.ts';
export { adapterKey, LoraAdapters } from './lora-adapters.ts';
export { applyLora, loadAdapter, LoraModel, mergeAndUnload, type LoraOptions } from './lora-model.ts';
export { decoderLinearModules, isTargeted, selectTargets, type LinearModule } from './target-modules.ts';
