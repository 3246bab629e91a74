import { IGNORE_INDEX } from '@tunefleet/core';
import { argmaxLastAxis } from './classification-metrics.ts';
import { TrainerError } from './trainer-error.ts';
import type { EvalPrediction } from './trainer-types.ts';

/** One entity (chunk) of a tagged sentence: words [start, end) of `type`. */
export interface TaggedEntity {
  readonly type: string;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export interface EntityScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Gold entities of this type (seqeval's `support`, HF's `number`). */
  readonly number: number;
}

export interface EntityMetrics extends Omit<EntityScores, 'number'> {
  /** Token (word) accuracy, seqeval's accuracy_score (HF run_ner's overall_accuracy). */
  readonly accuracy: number;
  /** Per entity type, sorted by type. */
  readonly perType: Readonly<Record<string, EntityScores>>;
}

/** `B-PER` -> ['B', 'PER']; `O` -> ['O', '']; a tag without a prefix is an I- of itself (conlleval). */
function splitTag(tag: string): [string, string] {
  if (tag === 'O' || tag === '') return ['O', ''];
  const match = /^([BIES])[-_](.*)$/.exec(tag);
  return match ? [match[1]!, match[2]!] : ['I', tag];
}

// conlleval's endOfChunk / startOfChunk (seqeval's default, non-strict mode): one rule that reads
// IOB1 (B- only between two adjacent entities of a type), IOB2 (B- starts every entity) and IOBES.
function isChunkEnd(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prevTag !== 'O' && prevType !== type;
}

function isChunkStart(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && prevType !== type;
}

/** The entities of one sentence's tags, with conlleval's chunk boundaries; one ending the sentence included. */
export function extractEntities(tags: readonly string[]): TaggedEntity[] {
  const entities: TaggedEntity[] = [];
  let prev: [string, string] = ['O', ''];
  let start = -1;
  // A sentinel O after the last tag closes an entity that ends the sentence.
  for (let i = 0; i <= tags.length; i++) {
    const [tag, type] = i < tags.length ? splitTag(tags[i]!) : (['O', ''] as [string, string]);
    if (start >= 0 && isChunkEnd(prev[0], tag, prev[1], type)) {
      entities.push({ type: prev[1], start, end: i });
      start = -1;
    }
    if (isChunkStart(prev[0], tag, prev[1], type)) start = i;
    prev = [tag, type];
  }
  return entities;
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function scores(correct: number, predicted: number, gold: number): EntityScores {
  const precision = ratio(correct, predicted);
  const recall = ratio(correct, gold);
  return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), number: gold };
}

/**
 * Entity-level precision, recall and F1 as seqeval (and conlleval) compute them: an entity counts
 * as correct only when its type, first and last word all match; the overall figures are micro
 * averages over every entity, and each type gets its own. 0 where a denominator is 0.
 */
export function computeEntityMetrics(gold: readonly (readonly string[])[], predicted: readonly (readonly string[])[]): EntityMetrics {
  if (gold.length !== predicted.length) {
    throw new TrainerError('LABELS_INVALID', `entity metrics: ${predicted.length} predicted sentences for ${gold.length} gold ones.`);
  }
  const counts = new Map<string, { correct: number; predicted: number; gold: number }>();
  const count = (type: string) => counts.get(type) ?? counts.set(type, { correct: 0, predicted: 0, gold: 0 }).get(type)!;
  let words = 0;
  let correctWords = 0;
  gold.forEach((goldTags, s) => {
    const predTags = predicted[s]!;
    if (predTags.length !== goldTags.length) {
      throw new TrainerError('LABELS_INVALID', `entity metrics: sentence ${s} has ${goldTags.length} gold tags but ${predTags.length} predicted.`);
    }
    words += goldTags.length;
    goldTags.forEach((tag, i) => (correctWords += tag === predTags[i] ? 1 : 0));
    const key = (e: TaggedEntity) => `${e.type}\u0000${e.start}\u0000${e.end}`;
    const goldEntities = extractEntities(goldTags);
    const goldKeys = new Set(goldEntities.map(key));
    for (const entity of goldEntities) count(entity.type).gold += 1;
    for (const entity of extractEntities(predTags)) {
      const c = count(entity.type);
      c.predicted += 1;
      if (goldKeys.has(key(entity))) c.correct += 1;
    }
  });
  const total = { correct: 0, predicted: 0, gold: 0 };
  const perType: Record<string, EntityScores> = {};
  for (const type of [...counts.keys()].sort()) {
    const c = counts.get(type)!;
    perType[type] = scores(c.correct, c.predicted, c.gold);
    total.correct += c.correct;
    total.predicted += c.predicted;
    total.gold += c.gold;
  }
  const overall = scores(total.correct, total.predicted, total.gold);
  return { precision: overall.precision, recall: overall.recall, f1: overall.f1, accuracy: ratio(correctWords, words), perType };
}

/** The metrics as flat numbers: precision, recall, f1, accuracy and `<type>_precision|recall|f1|number`. */
export function flattenEntityMetrics(metrics: EntityMetrics): Record<string, number> {
  const out: Record<string, number> = { precision: metrics.precision, recall: metrics.recall, f1: metrics.f1, accuracy: metrics.accuracy };
  for (const [type, s] of Object.entries(metrics.perType)) {
    out[`${type}_precision`] = s.precision;
    out[`${type}_recall`] = s.recall;
    out[`${type}_f1`] = s.f1;
    out[`${type}_number`] = s.number;
  }
  return out;
}

/**
 * Per row of token logits `[rows, seq, labels]`, the gold and predicted tags at the labelled
 * positions (first sub-tokens; -100 elsewhere), as run_ner's compute_metrics takes them.
 */
export function tagSequences(prediction: EvalPrediction, id2label: Readonly<Record<string, string>>): { gold: string[][]; predicted: string[][] } {
  const { logits, shape, labelIds } = prediction;
  if (labelIds === undefined) throw new TrainerError('LABELS_INVALID', 'entity metrics need labels, but the evaluation dataset has none.');
  if (shape.length !== 3) throw new TrainerError('LABELS_INVALID', `entity metrics need token logits [rows, seq, labels], got shape [${shape.join(', ')}].`);
  const [rows, seq] = [shape[0]!, shape[1]!];
  const best = argmaxLastAxis(logits, shape);
  const name = (id: number): string => {
    const tag = id2label[String(id)];
    if (tag === undefined) throw new TrainerError('LABELS_INVALID', `entity metrics: class id ${id} has no entry in id2label.`);
    return tag;
  };
  const gold: string[][] = [];
  const predicted: string[][] = [];
  for (let row = 0; row < rows; row++) {
    const g: string[] = [];
    const p: string[] = [];
    for (let t = 0; t < seq; t++) {
      const label = labelIds[row * seq + t]!;
      if (label === IGNORE_INDEX) continue;
      g.push(name(label));
      p.push(name(best[row * seq + t]!));
    }
    gold.push(g);
    predicted.push(p);
  }
  return { gold, predicted };
}

/** A Trainer `computeMetrics` for token classification: entity-level seqeval metrics with a per-type breakdown. */
export function entityComputeMetrics(id2label: Readonly<Record<string, string>>): (prediction: EvalPrediction) => Record<string, number> {
  return (prediction) => {
    const { gold, predicted } = tagSequences(prediction, id2label);
    return flattenEntityMetrics(computeEntityMetrics(gold, predicted));
  };
}
