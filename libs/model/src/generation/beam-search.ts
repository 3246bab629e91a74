/**
 * transformers' BeamSearchScorer and BeamHypotheses (4.4x), on plain arrays: what beam search keeps
 * of each step's candidates, when a source is done, and which hypothesis wins. A model-agnostic
 * piece: the caller runs the model, the logits processors and the top-k; this file decides.
 */

export type EarlyStopping = boolean | 'never';

/** One finished hypothesis: its tokens (the decoder prompt included, the EOS excluded) and score. */
interface Hypothesis {
  readonly score: number;
  readonly tokens: readonly number[];
  readonly endsWithEos: boolean;
}

/**
 * BeamHypotheses: the `numBeams` best finished hypotheses of one source. A hypothesis scores
 * `sumLogProbs / generatedLength ** lengthPenalty`, where the generated length counts the EOS and
 * not the decoder prompt.
 */
export class BeamHypotheses {
  readonly beams: Hypothesis[] = [];
  private worstScore = 1e9;

  constructor(
    private readonly numBeams: number,
    private readonly lengthPenalty: number,
    private readonly earlyStopping: EarlyStopping,
    private readonly maxLength: number,
  ) {}

  add(tokens: readonly number[], sumLogProbs: number, generatedLength: number, endsWithEos: boolean): void {
    const score = sumLogProbs / generatedLength ** this.lengthPenalty;
    if (this.beams.length < this.numBeams || score > this.worstScore) {
      this.beams.push({ score, tokens, endsWithEos });
      if (this.beams.length > this.numBeams) {
        // Python's sorted((score, index)): the lowest score goes, the earlier one on a tie.
        const ranked = this.beams.map((beam, index) => [beam.score, index] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.beams.splice(ranked[0][1], 1);
        this.worstScore = ranked[1][0];
      } else {
        this.worstScore = Math.min(score, this.worstScore);
      }
    }
  }

  /** Whether no open beam can still beat the finished ones; `curLength` counts the decoder prompt and this step's token. */
  isDone(bestSumLogProbs: number, curLength: number, promptLength: number): boolean {
    if (this.beams.length < this.numBeams) return false;
    if (this.earlyStopping === true) return true;
    const length = this.earlyStopping === 'never' && this.lengthPenalty > 0 ? this.maxLength : curLength;
    return this.worstScore >= bestSumLogProbs / (length - promptLength) ** this.lengthPenalty;
  }

  /** The best hypothesis (on equal scores the one added last, as transformers' stable sort and pop). */
  best(): Hypothesis {
    let best = this.beams[0];
    for (const beam of this.beams) if (beam.score >= best.score) best = beam;
    return best;
  }
}

/** One candidate of a step: `beam` (0..numBeams-1 within its source), `token`, total log-prob `score`. */
export interface BeamCandidate {
  readonly beam: number;
  readonly token: number;
  readonly score: number;
}

export interface BeamSearchSettings {
  readonly numBeams: number;
  readonly lengthPenalty: number;
  readonly earlyStopping: EarlyStopping;
  readonly maxLength: number;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number;
  /** Length of the decoder prompt (1: the decoder start token). */
  readonly promptLength: number;
}

/** What a step keeps per source: numBeams rows, each from beam `from` with `token` appended, total log-prob `score`. */
export interface BeamStep {
  readonly rows: { from: number; token: number; score: number }[];
}

/**
 * BeamSearchScorer for a batch of sources: `process` takes each source's candidates of a step (the
 * top 2 x numBeams of beams x vocab, best first) and returns the next beams; `finalize` picks the best
 * hypothesis of each source.
 */
export class BeamSearchScorer {
  readonly hypotheses: BeamHypotheses[];
  readonly done: boolean[];

  constructor(
    batchSize: number,
    private readonly settings: BeamSearchSettings,
  ) {
    this.hypotheses = Array.from({ length: batchSize }, () => new BeamHypotheses(settings.numBeams, settings.lengthPenalty, settings.earlyStopping, settings.maxLength));
    this.done = new Array(batchSize).fill(false);
  }

  get isDone(): boolean {
    return this.done.every(Boolean);
  }

  /**
   * `sequences[b * numBeams + j]` is beam j of source b so far; `candidates[b]` its step's candidates.
   * An EOS candidate ranked within the first numBeams finishes a hypothesis; the others fill the
   * next beams. A done source's rows continue with the pad token (score 0, from its first row).
   */
  process(sequences: readonly (readonly number[])[], candidates: readonly (readonly BeamCandidate[])[]): BeamStep[] {
    const { numBeams, eosTokenIds, padTokenId, promptLength } = this.settings;
    return candidates.map((list, b) => {
      if (this.done[b]) return { rows: Array.from({ length: numBeams }, () => ({ from: 0, token: padTokenId, score: 0 })) };
      const curLength = sequences[b * numBeams].length + 1;
      const rows: { from: number; token: number; score: number }[] = [];
      for (let rank = 0; rank < list.length && rows.length < numBeams; rank++) {
        const { beam, token, score } = list[rank];
        const row = b * numBeams + beam;
        if (eosTokenIds.includes(token)) {
          if (rank >= numBeams) continue;
          this.hypotheses[b].add(sequences[row], score, curLength - promptLength, true);
        } else {
          rows.push({ from: row, token, score });
        }
      }
      if (rows.length < numBeams) throw new RangeError(`beam search: source ${b} has ${rows.length} non-EOS candidates for ${numBeams} beams; give 2 x num_beams candidates`);
      const best = Math.max(...list.map((candidate) => candidate.score));
      this.done[b] = this.done[b] || this.hypotheses[b].isDone(best, curLength, promptLength);
      return { rows };
    });
  }

  /** Adds the open beams of unfinished sources (at max_length) and returns each source's best: tokens after the prompt, EOS appended when it ended with one. */
  finalize(sequences: readonly (readonly number[])[], scores: readonly number[]): { tokens: number[]; score: number }[] {
    const { numBeams, promptLength, eosTokenIds } = this.settings;
    return this.hypotheses.map((hypotheses, b) => {
      if (!this.done[b]) {
        for (let j = 0; j < numBeams; j++) {
          const row = b * numBeams + j;
          hypotheses.add(sequences[row], scores[row], sequences[row].length - promptLength, false);
        }
      }
      const best = hypotheses.best();
      const tokens = best.tokens.slice(promptLength);
      return { tokens: best.endsWithEos ? [...tokens, eosTokenIds[0]] : tokens, score: best.score };
    });
  }
}
