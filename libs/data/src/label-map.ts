import { DataError } from './data-error.ts';

/**
 * Label names <-> class ids, as Hugging Face stores them in config.json (`id2label` keys are the
 * ids written as strings, because JSON object keys are strings).
 */
export interface LabelMap {
  readonly label2id: Readonly<Record<string, number>>;
  readonly id2label: Readonly<Record<string, string>>;
}

const INTEGER_LIKE = /^[+-]?\d+$/;

/**
 * Builds the map from the labels seen in a training file: when every label is integer-like they
 * sort numerically ("2" before "10"), otherwise as strings; ids are the sorted positions.
 */
export function buildLabelMap(labels: Iterable<string>): LabelMap {
  const distinct = [...new Set(labels)];
  const isNumeric = distinct.every((label) => INTEGER_LIKE.test(label));
  distinct.sort(isNumeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const label2id: Record<string, number> = {};
  distinct.forEach((label, id) => (label2id[label] = id));
  return labelMapFrom(label2id);
}

/**
 * Wraps an existing `label2id` (e.g. from a model's config.json), checking that its ids are
 * exactly 0..n-1 so they index the classifier's logits.
 */
export function labelMapFrom(label2id: Readonly<Record<string, number>>): LabelMap {
  const id2label: Record<string, string> = {};
  const entries = Object.entries(label2id);
  for (const [label, id] of entries) {
    if (!Number.isInteger(id) || id < 0 || id >= entries.length) {
      throw new DataError(
        'DATA_BAD_LABEL_MAP',
        `label2id["${label}"] = ${id}: ids must be the integers 0..${entries.length - 1}, one per label.`,
      );
    }
    if (id2label[id] !== undefined) {
      throw new DataError(
        'DATA_BAD_LABEL_MAP',
        `label2id gives id ${id} to both "${id2label[id]}" and "${label}"; each id must name one label.`,
      );
    }
    id2label[id] = label;
  }
  return Object.freeze({ label2id: Object.freeze({ ...label2id }), id2label: Object.freeze(id2label) });
}

/** Label names in id order, for messages such as `is not one of [negative, positive]`. */
export function labelNames(map: LabelMap): string[] {
  return Object.keys(map.id2label)
    .map(Number)
    .sort((a, b) => a - b)
    .map((id) => map.id2label[id]);
}

/** The reason a label is rejected, or undefined when the map knows it. */
export function unknownLabelReason(map: LabelMap, label: string, noun = 'label'): string | undefined {
  if (Object.hasOwn(map.label2id, label)) return undefined;
  return `${noun} "${label}" is not one of [${labelNames(map).join(', ')}]`;
}
