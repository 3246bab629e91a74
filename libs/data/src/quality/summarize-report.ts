import type { LineList, QualityReport, SplitReport } from './quality-report.ts';

// Lines quoted per finding on the terminal; the JSON report has them all.
const SHOWN_LINES = 5;

/** A short terminal summary: a header per split and one line per kind of check. */
export function summarizeReport(report: QualityReport): string[] {
  const { settings } = report;
  const out: string[] = [];
  for (const split of report.splits) {
    const bad = split.badRows > 0 ? `, ${split.badRows} bad ${plural(split.badRows, 'row')} skipped` : '';
    out.push(`${split.name} (${split.file}): ${split.rows} ${plural(split.rows, 'row')}${bad}`);
    if (split.labels !== undefined) {
      const counts = split.labels.counts.map((entry) => `${entry.label} ${entry.count} (${percent(entry.share)})`);
      out.push(`  labels: ${counts.join(', ')}; imbalance ${split.labels.imbalanceRatio.toFixed(2)} (largest/smallest)`);
    }
    const { empty, veryShort, tokens } = split.lengths;
    let lengths = `  lengths: ${empty.count} empty, ${veryShort.count} very short (< ${settings.minWords} words)${shownLines(veryShort)}`;
    if (tokens !== undefined) {
      const p = tokens.percentiles;
      lengths +=
        `; tokens p50 ${p.p50}, p90 ${p.p90}, p95 ${p.p95}, p99 ${p.p99}, max ${p.max}; ` +
        `${tokens.truncated.count} longer than max_seq_length ${settings.maxSeqLength} (${percent(tokens.truncated.share)})`;
    }
    out.push(lengths);
    const duplicates = split.exactDuplicates;
    out.push(
      `  exact duplicates (case and whitespace normalised): ${duplicates.groups.length} ${plural(duplicates.groups.length, 'group')}, ` +
        `${duplicates.redundantRows} redundant ${plural(duplicates.redundantRows, 'row')}; ` +
        `${split.conflicts.length} ${plural(split.conflicts.length, 'text')} with different labels${conflictLines(split)}`,
    );
    if (split.nearDuplicates !== undefined && settings.nearDuplicates !== undefined) {
      const near = settings.nearDuplicates;
      out.push(
        `  near duplicates (MinHash, Jaccard >= ${near.threshold} over ${near.shingle} ${near.shingleSize}-grams): ` +
          `${split.nearDuplicates.pairs.length} ${plural(split.nearDuplicates.pairs.length, 'pair')}, ${split.nearDuplicates.rowsInvolved} rows`,
      );
    }
    if (split.leakage !== undefined) out.push(`  leakage: ${leakageLine(split)}`);
    const encoding = split.encoding;
    out.push(
      `  encoding: ${encoding.invalidUtf8.count} invalid UTF-8, ${encoding.replacementCharacter.count} with U+FFFD, ` +
        `${encoding.controlCharacters.count} with control characters, ${encoding.mojibake.count} with mojibake, ${encoding.htmlEntities.count} with HTML entities`,
    );
  }
  return out;
}

/**
 * One line per problem found, nothing when the data is clean: what `train` prints before it starts
 * ("37 validation rows also appear in train (5.1%)").
 */
export function qualityWarnings(report: QualityReport): string[] {
  const out: string[] = [];
  for (const split of report.splits) {
    const name = split.name;
    if (split.leakage !== undefined && split.leakage.count > 0) out.push(leakageLine(split));
    if (split.conflicts.length > 0) {
      out.push(`${name}: ${split.conflicts.length} ${plural(split.conflicts.length, 'text')} ${split.conflicts.length === 1 ? 'appears' : 'appear'} with different labels${conflictLines(split)}`);
    }
    const duplicates = split.exactDuplicates;
    if (duplicates.redundantRows > 0) {
      const lines = duplicates.groups.slice(0, SHOWN_LINES).map((group) => group.lines.join('='));
      out.push(
        `${name}: ${duplicates.redundantRows} ${plural(duplicates.redundantRows, 'row')} repeat an earlier row ` +
          `(${duplicates.groups.length} ${plural(duplicates.groups.length, 'group')}: lines ${lines.join(', ')}${more(duplicates.groups.length)})`,
      );
    }
    const truncated = split.lengths.tokens?.truncated;
    if (truncated !== undefined && truncated.count > 0) {
      out.push(
        `${name}: ${truncated.count} ${plural(truncated.count, 'row')} (${percent(truncated.share)}) longer than ` +
          `max_seq_length ${report.settings.maxSeqLength} will be truncated${shownLines(truncated)}`,
      );
    }
    if (split.lengths.empty.count > 0) out.push(`${name}: ${split.lengths.empty.count} empty ${plural(split.lengths.empty.count, 'text')} skipped${shownLines(split.lengths.empty)}`);
    const encoding = split.encoding;
    const problems: [string, LineList][] = [
      ['invalid UTF-8 (skipped)', encoding.invalidUtf8],
      ['U+FFFD replacement characters', encoding.replacementCharacter],
      ['control characters', encoding.controlCharacters],
      ['mojibake (UTF-8 read as Latin-1)', encoding.mojibake],
      ['undecoded HTML entities', encoding.htmlEntities],
    ];
    for (const [what, list] of problems) {
      if (list.count > 0) out.push(`${name}: ${list.count} ${plural(list.count, 'row')} with ${what}${shownLines(list)}`);
    }
  }
  return out;
}

function leakageLine(split: SplitReport): string {
  const leak = split.leakage!;
  const differs = leak.labelDiffers > 0 ? `, ${leak.labelDiffers} of them with another label` : '';
  const lines = leak.count > 0 ? shownLines({ count: leak.count, lines: leak.rows.map((row) => row.line) }) : '';
  return `${leak.count} ${split.name} ${plural(leak.count, 'row')} also ${leak.count === 1 ? 'appears' : 'appear'} in train (${percent(leak.share)})${differs}${lines}`;
}

function conflictLines(split: SplitReport): string {
  if (split.conflicts.length === 0) return '';
  const shown = split.conflicts.slice(0, SHOWN_LINES).map((conflict) => conflict.lines.map((line, i) => `${line}:${conflict.labels[i]}`).join('/'));
  return ` (lines ${shown.join(', ')}${more(split.conflicts.length)})`;
}

function shownLines(list: LineList): string {
  if (list.count === 0) return '';
  return ` (${plural(list.count, 'line')} ${list.lines.slice(0, SHOWN_LINES).join(', ')}${more(list.count)})`;
}

function more(count: number): string {
  return count > SHOWN_LINES ? `, … ${count - SHOWN_LINES} more` : '';
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}
