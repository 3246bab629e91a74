export { errorCode, TunefleetError } from './tunefleet-error.ts';
export { IGNORE_INDEX } from './labels.ts';
