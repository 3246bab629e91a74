import { writeFile } from 'node:fs/promises';
import {
  fastChecks,
  inspectData,
  qualityWarnings,
  readQualitySplits,
  summarizeReport,
  tokenCounterFrom,
  type QualityFiles,
  type QualityReport,
  type TokenCounter,
} from '@tunefleet/data';
import type { RunSpec } from '@tunefleet/run';
import { loadTokenizer } from '@tunefleet/tokenizer';
import { CliConfigError } from '../cli-config-error.ts';
import type { InspectDataOptions } from '../inference-options.ts';

export interface InspectDataInput extends InspectDataOptions {
  /** `--output report.json`: the full report. */
  readonly output?: string;
}

/**
 * `tunefleet inspect-data`: every data-quality check (near duplicates included) on the splits given;
 * a short summary on stdout, the full report as JSON with --output. Exit 0 whatever it finds: the
 * findings are information for a person, not a failure.
 */
export async function runInspectData(input: InspectDataInput): Promise<number> {
  const files: QualityFiles = {
    ...(input.train_file === undefined ? {} : { train: input.train_file }),
    ...(input.validation_file ? { validation: input.validation_file } : {}),
    ...(input.test_file === undefined ? {} : { test: input.test_file }),
  };
  if (Object.keys(files).length === 0) {
    throw new CliConfigError('inspect-data: give at least one of --train-file, --validation-file, --test-file');
  }
  const splits = await readQualitySplits(files, {
    textColumn: input.text_column,
    textPairColumn: input.text_pair_column,
    labelColumn: input.label_column,
  });
  const countTokens = input.model_name_or_path === undefined ? undefined : await tokenCounter(input.model_name_or_path);
  const report = inspectData(splits, { maxSeqLength: input.max_seq_length, ...(countTokens === undefined ? {} : { countTokens }) });
  process.stdout.write(`${summarizeReport(report).join('\n')}\n`);
  if (input.output !== undefined) {
    await writeFile(input.output, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`full report: ${input.output}\n`);
  }
  return 0;
}

/** The run's fast checks (`fastChecks`, no near duplicates) as `train` runs them at start. */
export interface RunQualityChecks {
  readonly report: QualityReport;
  /** One line per problem; empty when the data is clean. */
  readonly warnings: readonly string[];
  /** `summarizeReport` lines, for the model card. */
  readonly summary: readonly string[];
}

/**
 * `train`'s data-quality pass before it spends time on training: the same checks as inspect-data
 * but near duplicates, over the run's train and validation files, token lengths with the run's own
 * tokenizer. Text classification only (CoNLL files have no text column to inspect): undefined for
 * token classification.
 */
export async function runQualityChecks(run: RunSpec): Promise<RunQualityChecks | undefined> {
  if (run.task !== 'sequence-classification') return undefined;
  const splits = await readQualitySplits(
    { train: run.train_file, ...(run.validation_file ? { validation: run.validation_file } : {}) },
    { textColumn: run.text_column, textPairColumn: run.text_pair_column, labelColumn: run.label_column },
  );
  const report = fastChecks(splits, { maxSeqLength: run.max_seq_length, countTokens: await tokenCounter(run.model_name_or_path) });
  return { report, warnings: qualityWarnings(report), summary: summarizeReport(report) };
}

async function tokenCounter(modelDir: string): Promise<TokenCounter> {
  // The checkpoint's own tokenizer, of any family (WordPiece, byte-level BPE, Unigram).
  return tokenCounterFrom(await loadTokenizer(modelDir));
}
