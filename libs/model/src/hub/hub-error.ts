import { TunefleetError } from '@tunefleet/core';

/** Stable codes for what can go wrong resolving `--model ORG/NAME` on the Hugging Face hub. */
export type HubErrorCode =
  | 'HUB_MODEL_NOT_FOUND' // neither a local directory nor a valid repo id
  | 'HUB_REPO_NOT_FOUND' // the hub answers 404 (or 401 without a token) for the repo
  | 'HUB_FILE_NOT_FOUND' // the repo lacks a file it needs (config.json, the weights, a shard)
  | 'HUB_UNAUTHORIZED' // the token was refused, or the repo is gated/private
  | 'HUB_TOKEN_INVALID' // HF_TOKEN is not a Hugging Face token (hf_...)
  | 'HUB_UNREACHABLE' // the endpoint cannot be reached and the cache lacks the model: retryable
  | 'HUB_NOT_CACHED' // offline (HF_HUB_OFFLINE) and the cache lacks the model or some of its files
  | 'HUB_DOWNLOAD_FAILED'; // any other answer of the hub, or a write into the cache that failed

/** A model the hub or its cache could not provide. `repo` is the repo id asked for. */
export class HubError extends TunefleetError<HubErrorCode> {
  override readonly name: string = 'HubError';

  constructor(
    code: HubErrorCode,
    readonly repo: string,
    message: string,
    options?: { cause?: unknown; isRetryable?: boolean },
  ) {
    super(code, message, options);
  }
}
