import { TunefleetError } from '@tunefleet/core';

export type GenerationErrorCode =
  | 'GENERATION_CONFIG_INVALID' // generation_config.json or the options: a bad field (all listed)
  | 'GENERATION_CONFIG_IO' // generation_config.json could not be read or written
  | 'GENERATION_INPUT_INVALID' // an empty prompt, a prompt with ids outside the vocabulary, a stop string without a decoder
  | 'GENERATION_CONTEXT_FULL'; // the prompt alone fills the model's context: nothing can be generated

/** A generation request that cannot run. Fatal: fix the options or the prompt. */
export class GenerationError extends TunefleetError<GenerationErrorCode> {
  override readonly name: string = 'GenerationError';
}
