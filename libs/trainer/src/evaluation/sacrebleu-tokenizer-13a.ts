/**
 * sacrebleu's default BLEU tokenizer, `13a` (mteval-v13a.pl as WMT uses it), written to give the
 * same tokens as `sacrebleu/tokenizers/tokenizer_13a.py` + `tokenizer_re.py` (mjpost/sacrebleu):
 * a few SGML entities unescaped, then punctuation split off, then whitespace collapsed.
 */

/**
 * Python's `str.split()` / `str.strip()` whitespace (characters whose `isspace()` is true), so that
 * splitting here cuts where sacrebleu's does; JavaScript's `\s` differs (it has U+FEFF, lacks
 * U+001C-U+001F and U+0085).
 */
export const PYTHON_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]+`, 'g');
const TRAILING_WHITESPACE = new RegExp(`[${PYTHON_WHITESPACE}]+$`);

/** Python's `s.split()`: the non-empty runs between whitespace. */
export function pythonSplit(text: string): string[] {
  return text.split(WHITESPACE_RUN).filter((token) => token !== '');
}

/** Python's `s.rstrip()`. */
export function pythonRstrip(text: string): string {
  return text.replace(TRAILING_WHITESPACE, '');
}

// The regular expressions of tokenizer_re.py, in its order (Western-language rules).
const POST_TOKENIZER: readonly [RegExp, string][] = [
  // symbols: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
  [/([{-~[-` -&(-+:-@/])/g, ' $1 '],
  // period and comma unless preceded by a digit
  [/([^0-9])([.,])/g, '$1 $2 '],
  // period and comma unless followed by a digit
  [/([.,])([^0-9])/g, ' $1 $2'],
  // dash when preceded by a digit
  [/([0-9])(-)/g, '$1 $2 '],
];

/** One segment tokenized as sacrebleu's `Tokenizer13a()(line)`: tokens joined by single spaces. */
export function tokenize13a(line: string): string {
  let text = line
    .replaceAll('<skipped>', '')
    .replaceAll('-\n', '')
    .replaceAll('\n', ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
  text = ` ${text} `;
  for (const [pattern, replacement] of POST_TOKENIZER) text = text.replace(pattern, replacement);
  return pythonSplit(text).join(' ');
}
