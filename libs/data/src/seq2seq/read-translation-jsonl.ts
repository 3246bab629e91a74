import { noExamplesError, settleBadRows, type BadRow } from '../data-error.ts';
import { readTextFileLines } from './text-file-lines.ts';
import type { TranslationPair, TranslationPairSet } from './translation-pairs.ts';

export interface ReadTranslationJsonlOptions {
  /** The key of the source text inside `translation` (run_translation's --source_lang, e.g. "en"). */
  readonly sourceLang: string;
  /** The key of the target text (--target_lang, e.g. "de"). */
  readonly targetLang: string;
  readonly skipBadRows?: boolean;
}

/**
 * run_translation's JSON Lines: one `{"translation": {"en": "...", "de": "..."}}` object a line
 * (`.gz` too; blank lines skipped). A row without the `translation` object, without either
 * language key, or with an empty or non-string text is a bad row naming the file, line and key.
 */
export async function readTranslationJsonl(file: string, options: ReadTranslationJsonlOptions): Promise<TranslationPairSet> {
  const { sourceLang, targetLang } = options;
  const { lines, badUtf8Lines } = await readTextFileLines(file);
  const pairs: TranslationPair[] = [];
  const badRows: BadRow[] = [];
  lines.forEach((text, index) => {
    const line = index + 1;
    if (text.trim() === '') return;
    const bad = (reason: string): void => void badRows.push({ file, line, reason });
    if (badUtf8Lines.has(line)) return bad('invalid UTF-8');
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (error) {
      return bad(`not valid JSON (${(error as Error).message})`);
    }
    const translation = isObject(row) ? row['translation'] : undefined;
    if (!isObject(translation)) return bad('no "translation" object; expected {"translation": {"<lang>": "...", ...}}');
    const texts: string[] = [];
    for (const key of [sourceLang, targetLang]) {
      const value = translation[key];
      if (value === undefined) {
        const keys = Object.keys(translation);
        return bad(`"translation" has no "${key}" key (it has ${keys.length > 0 ? keys.map((k) => `"${k}"`).join(', ') : 'none'}); check --source-lang / --target-lang`);
      }
      if (typeof value !== 'string') return bad(`"translation"."${key}" is ${value === null ? 'null' : typeof value}, not a string`);
      if (value.trim() === '') return bad(`"translation"."${key}" is empty`);
      texts.push(value);
    }
    pairs.push({ line, source: texts[0]!, target: texts[1]! });
  });
  settleBadRows(file, badRows, options.skipBadRows);
  if (pairs.length === 0) throw noExamplesError(file, badRows.length);
  return { sourceFile: file, targetFile: file, pairs, badRows };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
