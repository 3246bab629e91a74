// The Hugging Face hub: `--model ORG/NAME` resolved to a snapshot directory of the shared cache.
export { HubError, type HubErrorCode } from './hub-error.ts';
export { DEFAULT_HUB_ENDPOINT, DEFAULT_REVISION, hfHomeDir, hubCacheDir, isTrueValue, type HubSettings } from './hub-settings.ts';
export { repoFolder } from './hub-cache.ts';
export { HUB_TOKENIZER_FILES, isRepoId, resolveModel, type ResolveModelOptions } from './resolve-model.ts';
