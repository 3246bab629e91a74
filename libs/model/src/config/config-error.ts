import { TunefleetError } from '@tunefleet/core';

export type ConfigErrorCode =
  | 'CONFIG_READ_FAILED' // config.json could not be read or written
  | 'CONFIG_NOT_JSON' // the file is not JSON
  | 'CONFIG_UNSUPPORTED_MODEL' // model_type / architectures name a model family tunefleet does not implement
  | 'CONFIG_INVALID'; // JSON, but one or more fields are invalid (all listed in `issues`)

/** One invalid field: its dotted path (`id2label.3`) and what is wrong with it. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A model config that cannot be used. Fatal: fix the file. */
export class ConfigError extends TunefleetError<ConfigErrorCode> {
  override readonly name: string = 'ConfigError';

  constructor(
    code: ConfigErrorCode,
    readonly file: string,
    detail: string,
    readonly issues: readonly ConfigIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, `${file}: ${detail}`, options);
  }
}
