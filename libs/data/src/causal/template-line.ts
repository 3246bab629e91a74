/** A line of a template, 1-based, as an error quotes it. */
export interface TemplateLine {
  readonly line: number;
  readonly text: string;
}

// A quoted line is cut to this many characters around what was found (one-line templates are long).
const QUOTE_CHARS = 160;

/**
 * The template line a jinja error most likely comes from. @huggingface/jinja's errors carry no
 * position, so the line is found from what the message names: the `raise_exception(...)` call whose
 * text the message is (a template's own refusal, the common case), or the filter, test, statement,
 * operator or character a parse or runtime error names. Undefined when the message names nothing
 * that can be found.
 */
export function locateTemplateLine(template: string, message: string): TemplateLine | undefined {
  const lines = template.split('\n');
  const find = (predicate: (line: string) => number): TemplateLine | undefined => {
    for (let i = 0; i < lines.length; i++) {
      const at = predicate(lines[i]!);
      if (at >= 0) return { line: i + 1, text: excerpt(lines[i]!, at) };
    }
    return undefined;
  };
  const raised = find((line) => (line.includes('raise_exception') && message.length > 0 && line.includes(message.slice(0, 40)) ? line.indexOf('raise_exception') : -1));
  if (raised) return raised;
  const named =
    /Unknown (?:\w+ )?(?:filter|test|statement type|statement|operator)\W*:?\s*"?([^"\s]+)"?/.exec(message)?.[1] ??
    /Cannot apply filter "([^"]+)"/.exec(message)?.[1] ??
    /Unexpected character: (.)/.exec(message)?.[1];
  if (named !== undefined) {
    const hit = find((line) => line.indexOf(named));
    if (hit) return hit;
  }
  return undefined;
}

/** `line` cut to QUOTE_CHARS around column `at`, with … where it was cut. */
function excerpt(line: string, at: number): string {
  if (line.length <= QUOTE_CHARS) return line;
  const start = Math.max(0, Math.min(at - QUOTE_CHARS / 4, line.length - QUOTE_CHARS));
  const end = Math.min(line.length, start + QUOTE_CHARS);
  return `${start > 0 ? '…' : ''}${line.slice(start, end)}${end < line.length ? '…' : ''}`;
}

/** ` at template line N: <line>` for an error message, or nothing when the line is not known. */
export function describeTemplateLine(line: TemplateLine | undefined): string {
  return line === undefined ? ' (the template line could not be located)' : ` at template line ${line.line}: ${line.text.trim()}`;
}
