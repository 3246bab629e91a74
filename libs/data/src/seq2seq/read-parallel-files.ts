import { noExamplesError, settleBadRows, type BadRow } from '../data-error.ts';
import { readTextFileLines } from './text-file-lines.ts';
import { TranslationDataError } from './translation-data-error.ts';
import { pairSetName, type TranslationPair, type TranslationPairSet } from './translation-pairs.ts';

export interface ReadParallelOptions {
  /** Drop (and count) pairs with an empty or non-UTF-8 line instead of failing. */
  readonly skipBadRows?: boolean;
}

/**
 * Line-aligned source and target files (`train.en` + `train.de`, as Multi30k ships them; `.gz`
 * too): line i of one translates line i of the other. Different line counts fail at once (naming
 * both files and both counts); a pair with an empty side is a bad row naming that file and line.
 */
export async function readParallelFiles(sourceFile: string, targetFile: string, options: ReadParallelOptions = {}): Promise<TranslationPairSet> {
  const [source, target] = await Promise.all([readTextFileLines(sourceFile), readTextFileLines(targetFile)]);
  if (source.lines.length !== target.lines.length) {
    throw new TranslationDataError(
      'DATA_MISALIGNED_FILES',
      `${sourceFile} has ${source.lines.length} lines but ${targetFile} has ${target.lines.length}; line-aligned ` +
        'source and target files need the same number of lines (line i of one translates line i of the other): ' +
        'look for a missing or extra line, or files of different splits.',
    );
  }
  const pairs: TranslationPair[] = [];
  const badRows: BadRow[] = [];
  source.lines.forEach((sourceText, index) => {
    const line = index + 1;
    const targetText = target.lines[index]!;
    const reason = (file: string, what: string): void => void badRows.push({ file, line, reason: what });
    if (source.badUtf8Lines.has(line)) reason(sourceFile, 'invalid UTF-8');
    else if (target.badUtf8Lines.has(line)) reason(targetFile, 'invalid UTF-8');
    else if (sourceText.trim() === '' && targetText.trim() === '') reason(sourceFile, `empty line in both files (and ${targetFile}:${line})`);
    else if (sourceText.trim() === '') reason(sourceFile, `empty source line (its target ${targetFile}:${line} is not empty)`);
    else if (targetText.trim() === '') reason(targetFile, `empty target line (its source ${sourceFile}:${line} is not empty)`);
    else pairs.push({ line, source: sourceText, target: targetText });
  });
  const name = pairSetName({ sourceFile, targetFile });
  settleBadRows(name, badRows, options.skipBadRows);
  if (pairs.length === 0) throw noExamplesError(name, badRows.length);
  return { sourceFile, targetFile, pairs, badRows };
}
