import { TunefleetError } from '@tunefleet/core';

export type CliConfigErrorCode = 'CLI_CONFIG_INVALID';

/** A command line or config file the CLI cannot run: the message names the flag, key or file. */
export class CliConfigError extends TunefleetError<CliConfigErrorCode> {
  override readonly name = 'CliConfigError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('CLI_CONFIG_INVALID', message, options);
  }
}
