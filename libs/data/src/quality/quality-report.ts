/**
 * The data-quality report of `tunefleet inspect-data`: plain JSON (numbers, strings, arrays), so
 * `--output report.json` is `JSON.stringify(report)` and a later tool can read it back as it is.
 * Lines are the 1-based physical lines `readExamples` reports; shares are ratios in [0, 1].
 */

/** The splits a run reads; leakage is always measured against `train`. */
export type SplitName = 'train' | 'validation' | 'test';

export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

export interface QualitySettings {
  /** A text with fewer words than this (split on whitespace) counts as very short. */
  readonly minWords: number;
  /** Tokens, special tokens included; absent when no tokenizer was given (no length report). */
  readonly maxSeqLength?: number;
  /** Absent for the fast checks, which skip near duplicates. */
  readonly nearDuplicates?: NearDuplicateSettings;
}

export interface NearDuplicateSettings {
  /** Pairs with exact Jaccard similarity of their shingle sets >= this are near duplicates. */
  readonly threshold: number;
  readonly shingle: 'word' | 'char';
  /** Words or characters per shingle. */
  readonly shingleSize: number;
  /** LSH bands x rows per band = MinHash functions per signature. */
  readonly bands: number;
  readonly rows: number;
  readonly seed: number;
}

export interface LabelReport {
  /** Examples per label as written in the file, largest first (ties by label). */
  readonly counts: readonly { readonly label: string; readonly count: number; readonly share: number }[];
  /** Largest class count / smallest class count (1 = balanced); 1 with a single class. */
  readonly imbalanceRatio: number;
}

export interface TokenLengthPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface LengthReport {
  /** Rows dropped by the reader because a text was empty (its bad rows with an "empty text" reason). */
  readonly empty: LineList;
  /** Rows with fewer than `minWords` words (text and text pair together). */
  readonly veryShort: LineList;
  /** Present when token counts were computed. */
  readonly tokens?: {
    /** Nearest-rank percentiles of the token count per example, special tokens included. */
    readonly percentiles: TokenLengthPercentiles;
    /** Examples longer than max_seq_length, which `encodeExamples` truncates. */
    readonly truncated: LineList & { readonly share: number };
  };
}

export interface LineList {
  readonly count: number;
  readonly lines: readonly number[];
}

export interface DuplicateGroup {
  /** The text of the group's first row as written (pairs joined by " [SEP] "), cut to 200 characters. */
  readonly text: string;
  readonly lines: readonly number[];
}

export interface DuplicateReport {
  /** Groups of two or more rows with the same text after normalising case and whitespace. */
  readonly groups: readonly DuplicateGroup[];
  /** Rows beyond the first of each group: what deduplication would remove. */
  readonly redundantRows: number;
}

export interface LabelConflict extends DuplicateGroup {
  /** The label of each row, in the order of `lines`. */
  readonly labels: readonly string[];
}

export interface NearDuplicatePair {
  /** The two rows' lines, smaller first. */
  readonly lines: readonly [number, number];
  /** Exact Jaccard similarity of the two rows' shingle sets. */
  readonly jaccard: number;
}

export interface NearDuplicateReport {
  /** Verified pairs of rows whose normalised texts differ (exact duplicates are reported apart). */
  readonly pairs: readonly NearDuplicatePair[];
  /** LSH candidate pairs checked by exact Jaccard (how much work the banding left). */
  readonly candidatesChecked: number;
  /** Rows in at least one near-duplicate pair. */
  readonly rowsInvolved: number;
}

export interface LeakedRow {
  readonly line: number;
  /** Lines of train with the same normalised text. */
  readonly trainLines: readonly number[];
}

export interface LeakageReport {
  /** Rows of this split whose normalised text also occurs in train. */
  readonly count: number;
  /** count / rows of this split. */
  readonly share: number;
  readonly rows: readonly LeakedRow[];
  /** Leaked rows whose label differs from every train row with that text. */
  readonly labelDiffers: number;
}

export interface EncodingReport {
  /** Rows the reader dropped as invalid UTF-8. */
  readonly invalidUtf8: LineList;
  /** Rows with U+FFFD, the replacement character: the text was decoded wrongly before it was saved. */
  readonly replacementCharacter: LineList;
  /** Rows with C0/C1 control characters other than tab, line feed and carriage return. */
  readonly controlCharacters: LineList;
  /** Rows with UTF-8 read as Latin-1 / Windows-1252 ("Ã©" for "é", "â€™" for "’"). */
  readonly mojibake: LineList;
  /** Rows with HTML entities left undecoded ("&amp;", "&#39;", or AG News's "#36;" for "$"). */
  readonly htmlEntities: LineList;
}

export interface SplitReport {
  readonly name: SplitName;
  readonly file: string;
  /** Examples read (bad rows not included). */
  readonly rows: number;
  /** Rows the reader dropped under skipBadRows. */
  readonly badRows: number;
  /** Absent when the split is unlabelled. */
  readonly labels?: LabelReport;
  readonly lengths: LengthReport;
  readonly exactDuplicates: DuplicateReport;
  /** Same normalised text, different labels (within this split); empty when unlabelled. */
  readonly conflicts: readonly LabelConflict[];
  /** Absent for the fast checks. */
  readonly nearDuplicates?: NearDuplicateReport;
  /** validation and test only, when a train split was given. */
  readonly leakage?: LeakageReport;
  readonly encoding: EncodingReport;
}

export interface QualityReport {
  readonly settings: QualitySettings;
  /** In the order train, validation, test; only the splits given. */
  readonly splits: readonly SplitReport[];
}
