export { errorCode, TunefleetError } from './tunefleet-error.ts';
export { IGNORE_INDEX } from './labels.ts';
export { mixSeed, mulberry32 } from './seeded-random.ts';
