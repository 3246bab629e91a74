/**
 * Data-quality inspection (`tunefleet inspect-data`, and the warnings `train` prints at start).
 * Pure functions over splits already read with `readExamples(file, { skipBadRows: true })`:
 * `inspectData({ train, validation, test }, { maxSeqLength, countTokens })` runs every check,
 * `fastChecks` every one except near duplicates; `summarizeReport` and `qualityWarnings` turn a
 * report into terminal lines. The report is plain JSON. `readGroupColumn` reads the group column
 * slice metrics need (readExamples keeps only text and label). `readQualitySplits` reads the files as
 * `train` does, keeping bad rows as findings.
 */
export { inspectData, fastChecks, type InspectOptions, type QualitySplit, type QualitySplits } from './inspect-data.ts';
export { summarizeReport, qualityWarnings } from './summarize-report.ts';
export { readQualitySplits, type QualityColumns, type QualityFiles } from './read-quality-splits.ts';
export { tokenCounterFrom, type TokenCounter } from './token-counter.ts';
export { DEFAULT_NEAR_DUPLICATES } from './near-duplicates.ts';
export { normalizeText } from './normalize-text.ts';
export { MISSING_GROUP, readGroupColumn, type GroupColumnOptions } from './read-group-column.ts';
export { QualityError, type QualityErrorCode } from './quality-error.ts';
export {
  SPLIT_NAMES,
  type DuplicateGroup,
  type DuplicateReport,
  type EncodingReport,
  type LabelConflict,
  type LabelReport,
  type LeakageReport,
  type LeakedRow,
  type LengthReport,
  type LineList,
  type NearDuplicatePair,
  type NearDuplicateReport,
  type NearDuplicateSettings,
  type QualityReport,
  type QualitySettings,
  type SplitName,
  type SplitReport,
  type TokenLengthPercentiles,
} from './quality-report.ts';
