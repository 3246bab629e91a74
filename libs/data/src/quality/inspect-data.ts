import type { BadRow } from '../data-error.ts';
import type { Example } from '../read-examples.ts';
import { encodingProblems } from './encoding-problems.ts';
import { exactDuplicates, groupByKey, labelConflicts } from './exact-duplicates.ts';
import { labelBalance } from './label-balance.ts';
import { leakage } from './leakage.ts';
import { DEFAULT_NEAR_DUPLICATES, nearDuplicates } from './near-duplicates.ts';
import { QualityError } from './quality-error.ts';
import {
  SPLIT_NAMES,
  type NearDuplicateSettings,
  type QualityReport,
  type QualitySettings,
  type SplitName,
  type SplitReport,
} from './quality-report.ts';
import { textLengths } from './text-lengths.ts';
import type { TokenCounter } from './token-counter.ts';

/** One split as `readExamples(file, { skipBadRows: true })` returns it (an `ExampleSet` fits). */
export interface QualitySplit {
  readonly file: string;
  readonly examples: readonly Example[];
  readonly badRows: readonly BadRow[];
}

export type QualitySplits = Partial<Readonly<Record<SplitName, QualitySplit>>>;

export interface InspectOptions {
  /** Default 3: "ok", "great film" carry little to learn from; three words start a phrase. */
  readonly minWords?: number;
  /** The run's max_seq_length; with `countTokens`, over-long texts and token-length percentiles are reported. */
  readonly maxSeqLength?: number;
  readonly countTokens?: TokenCounter;
  /** Overrides of DEFAULT_NEAR_DUPLICATES (full inspection only). */
  readonly nearDuplicates?: Partial<NearDuplicateSettings>;
}

const DEFAULT_MIN_WORDS = 3;

/** Every check on every split given, near duplicates included: what `tunefleet inspect-data` reports. */
export function inspectData(splits: QualitySplits, options: InspectOptions = {}): QualityReport {
  return inspect(splits, options, { ...DEFAULT_NEAR_DUPLICATES, ...options.nearDuplicates });
}

/**
 * Every check except near duplicates (the one whose cost grows beyond a pass over the data): what
 * `train` runs before it starts, to warn through `qualityWarnings`.
 */
export function fastChecks(splits: QualitySplits, options: InspectOptions = {}): QualityReport {
  return inspect(splits, options, undefined);
}

function inspect(splits: QualitySplits, options: InspectOptions, near: NearDuplicateSettings | undefined): QualityReport {
  const minWords = options.minWords ?? DEFAULT_MIN_WORDS;
  if (!Number.isInteger(minWords) || minWords < 1) {
    throw new QualityError('QUALITY_BAD_ARGUMENT', `minWords must be a positive integer, got ${minWords}.`);
  }
  const maxSeqLength = options.countTokens === undefined ? undefined : options.maxSeqLength;
  if (maxSeqLength !== undefined && (!Number.isInteger(maxSeqLength) || maxSeqLength < 1)) {
    throw new QualityError('QUALITY_BAD_ARGUMENT', `maxSeqLength must be a positive integer, got ${maxSeqLength}.`);
  }
  const names = SPLIT_NAMES.filter((name) => splits[name] !== undefined);
  if (names.length === 0) {
    throw new QualityError('QUALITY_NO_SPLITS', 'no split to inspect; give a train, validation or test file.');
  }
  const settings: QualitySettings = { minWords, maxSeqLength, nearDuplicates: near };
  const trainGroups = splits.train === undefined ? undefined : groupByKey(splits.train.examples);
  const reports = names.map((name) => {
    const split = splits[name] as QualitySplit;
    const groups = name === 'train' && trainGroups !== undefined ? trainGroups : groupByKey(split.examples);
    return splitReport(name, split, groups, name === 'train' ? undefined : trainGroups, settings, options.countTokens);
  });
  return { settings: withoutUndefined(settings), splits: reports };
}

function splitReport(
  name: SplitName,
  split: QualitySplit,
  groups: ReadonlyMap<string, readonly Example[]>,
  trainGroups: ReadonlyMap<string, readonly Example[]> | undefined,
  settings: QualitySettings,
  countTokens: TokenCounter | undefined,
): SplitReport {
  const keys = [...groups.keys()];
  const report: SplitReport = {
    name,
    file: split.file,
    rows: split.examples.length,
    badRows: split.badRows.length,
    labels: labelBalance(split.examples),
    lengths: textLengths(split.examples, split.badRows, { minWords: settings.minWords, maxSeqLength: settings.maxSeqLength, countTokens }),
    exactDuplicates: exactDuplicates(groups),
    conflicts: labelConflicts(groups),
    nearDuplicates:
      settings.nearDuplicates === undefined
        ? undefined
        : nearDuplicates(keys.map((key) => groups.get(key)![0]!), keys, settings.nearDuplicates),
    leakage: trainGroups === undefined ? undefined : leakage(split.examples, trainGroups),
    encoding: encodingProblems(split.examples, split.badRows),
  };
  return withoutUndefined(report);
}

/** Drops absent optional fields so the report is the same object after a JSON round trip. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
