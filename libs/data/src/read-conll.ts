import { IGNORE_INDEX } from '@tunefleet/core';
import { noExamplesError, settleBadRows, type BadRow } from './data-error.ts';
import { buildLabelMap, unknownLabelReason, type LabelMap } from './label-map.ts';
import { decodeLines, readRawFile } from './raw-file.ts';

/** One sentence of a token classification file. */
export interface TaggedSentence {
  /** 1-based line of the sentence's first token. */
  readonly line: number;
  readonly words: readonly string[];
  readonly tags: readonly string[];
  /** `labelMap.label2id[tag]` for each word. */
  readonly tagIds: readonly number[];
}

export interface TaggedSentenceSet {
  readonly file: string;
  readonly sentences: readonly TaggedSentence[];
  readonly labelMap: LabelMap;
  /** Bad lines under `skipBadRows`; a sentence with any bad line is dropped whole. */
  readonly badRows: readonly BadRow[];
}

export interface ReadConllOptions {
  /** An existing tag map (from a model's config.json); default: built from this file's tags. */
  readonly labelMap?: LabelMap;
  readonly skipBadRows?: boolean;
  /**
   * false: a line may hold only a token (prediction input); a tag, when present, is kept in `tags`,
   * an untagged or unknown one gets tag "" / id -100. Default true: every line needs a known tag.
   */
  readonly requireTags?: boolean;
}

interface Draft {
  line: number;
  words: string[];
  tags: string[];
  /** The line of each word. */
  lines: number[];
  isBad: boolean;
}

/**
 * CoNLL-style token classification data: `token<TAB>tag` per line (the tag is the last field, so
 * CoNLL-2003's four columns also read), a blank line between sentences, `-DOCSTART-` ignored.
 */
export async function readConll(file: string, options: ReadConllOptions = {}): Promise<TaggedSentenceSet> {
  const raw = await readRawFile(file);
  const badRows: BadRow[] = [];
  const drafts: Draft[] = [];
  let current: Draft | undefined;
  const lines = decodeLines(raw);
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const text = lines[index];
    if (text.trim() === '') {
      current = undefined;
      continue;
    }
    if (text.startsWith('-DOCSTART-')) continue;
    if (!current) {
      current = { line, words: [], tags: [], lines: [], isBad: false };
      drafts.push(current);
    }
    const fields = raw.badUtf8Lines.has(line) ? 'invalid UTF-8' : splitTokenLine(text, options.requireTags ?? true);
    if (typeof fields === 'string') {
      badRows.push({ file, line, reason: fields });
      current.isBad = true;
    } else {
      current.words.push(fields.word);
      current.tags.push(fields.tag);
      current.lines.push(line);
    }
  }
  const good = drafts.filter((draft) => !draft.isBad);
  const labelMap = options.labelMap ?? buildLabelMap(good.flatMap((draft) => draft.tags.filter((tag) => tag !== '')));
  const sentences: TaggedSentence[] = [];
  for (const draft of good) {
    if (options.requireTags === false) {
      const tagIds = draft.tags.map((tag) => labelMap.label2id[tag] ?? IGNORE_INDEX);
      sentences.push({ line: draft.line, words: draft.words, tags: draft.tags, tagIds });
      continue;
    }
    const unknown = draft.tags.findIndex((tag) => unknownLabelReason(labelMap, tag) !== undefined);
    if (unknown >= 0) {
      const reason = unknownLabelReason(labelMap, draft.tags[unknown], 'tag') as string;
      badRows.push({ file, line: draft.lines[unknown], reason });
      continue;
    }
    const tagIds = draft.tags.map((tag) => labelMap.label2id[tag]);
    sentences.push({ line: draft.line, words: draft.words, tags: draft.tags, tagIds });
  }
  settleBadRows(file, badRows, options.skipBadRows);
  if (sentences.length === 0) throw noExamplesError(file, badRows.length);
  return { file, sentences, labelMap, badRows };
}

function splitTokenLine(text: string, requireTag: boolean): { word: string; tag: string } | string {
  const fields = text.includes('\t') ? text.split('\t') : text.trim().split(/\s+/);
  const word = fields[0];
  const tag = fields.length > 1 ? fields[fields.length - 1].trim() : '';
  if (word.trim() === '') return 'empty token';
  if (tag === '' && requireTag) return `expected "token<TAB>tag", found no tag after "${word}"`;
  return { word, tag };
}
