import { TunefleetError } from '@tunefleet/core';

export type CoreBindingErrorCode = 'CORE_BINDING_INVALID';

/** `--bind-cores` cannot be honoured here: too few cores, no Linux cpuset, or no taskset. */
export class CoreBindingError extends TunefleetError<CoreBindingErrorCode> {
  override readonly name = 'CoreBindingError';

  constructor(message: string) {
    super('CORE_BINDING_INVALID', message);
  }
}
