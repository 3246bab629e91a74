import { describe, expect, it } from 'vitest';
import { BeamHypotheses, BeamSearchScorer } from './beam-search.ts';
import { applyBadWords, applyForcedTokens, applyNoRepeatNgram, logSoftmax } from './logits-processors.ts';

describe('BeamHypotheses (transformers semantics)', () => {
  it('scores sum log-probs / length ** length_penalty and keeps the num_beams best', () => {
    const hyps = new BeamHypotheses(2, 2, false, 10);
    hyps.add([9, 1], -4, 2, true); // -1
    hyps.add([9, 2, 3], -18, 3, true); // -2
    hyps.add([9, 4], -2, 1, true); // -2: not better than the worst (-2), not kept
    expect(hyps.beams.map((b) => b.score)).toEqual([-1, -2]);
    hyps.add([9, 5], -0.5, 1, true); // -0.5 pushes -2 out
    expect(hyps.beams.map((b) => b.tokens)).toEqual([[9, 1], [9, 5]]);
    expect(hyps.best().tokens).toEqual([9, 5]);
  });

  it('is done: early_stopping true once full; false when the best open beam cannot beat the worst; "never" measures at max_length', () => {
    const make = (early: boolean | 'never', penalty = 1) => {
      const hyps = new BeamHypotheses(1, penalty, early, 11);
      hyps.add([9, 1, 2], -3, 2, true); // score -1.5
      return hyps;
    };
    expect(new BeamHypotheses(1, 1, true, 11).isDone(0, 3, 1)).toBe(false); // not full
    expect(make(true).isDone(-0.1, 3, 1)).toBe(true);
    // worst -1.5; false: done when -1.5 >= best / (cur 3 - prompt 1)
    expect(make(false).isDone(-4, 3, 1)).toBe(true);
    expect(make(false).isDone(-2, 3, 1)).toBe(false); // -1 > -1.5: an open beam may still win
    // "never" (length_penalty > 0): the best open beam is measured at max_length 11: -4 / 10 = -0.4 may still win
    expect(make('never').isDone(-4, 3, 1)).toBe(false);
    expect(make('never').isDone(-20, 3, 1)).toBe(true);
  });
});

describe('BeamSearchScorer', () => {
  it('an EOS among the first num_beams candidates finishes a hypothesis; later EOS candidates are skipped; the rest fill the beams', () => {
    const scorer = new BeamSearchScorer(1, { numBeams: 2, lengthPenalty: 1, earlyStopping: false, maxLength: 5, eosTokenIds: [0], padTokenId: 7, promptLength: 1 });
    const step = scorer.process(
      [[7], [7]],
      [[
        { beam: 0, token: 3, score: -0.1 },
        { beam: 0, token: 0, score: -0.5 },
        { beam: 1, token: 0, score: -0.7 }, // rank 2 >= num_beams: skipped
        { beam: 0, token: 4, score: -0.9 },
      ]],
    );
    expect(step[0].rows).toEqual([{ from: 0, token: 3, score: -0.1 }, { from: 0, token: 4, score: -0.9 }]);
    expect(scorer.hypotheses[0].beams).toEqual([{ score: -0.5, tokens: [7], endsWithEos: true }]);
    expect(scorer.finalize([[7, 3], [7, 4]], [-0.1, -0.9])).toEqual([{ tokens: [3], score: -0.1 }]); // open beams at max_length join: -0.1 / 1 beats -0.5; no EOS appended
  });
});

describe('encoder-decoder logits processors', () => {
  it('no_repeat_ngram_size bans tokens that complete a seen n-gram; bad words; forced tokens; log_softmax', () => {
    const scores = new Float64Array(6);
    applyNoRepeatNgram(scores, [5, 1, 2, 1], 2); // bigrams (5,1) (1,2) (2,1): after 1 comes 2
    expect(Array.from(scores)).toEqual([0, 0, -Infinity, 0, 0, 0]);
    const bad = new Float64Array(6);
    applyBadWords(bad, [5, 1, 3], [[4], [1, 3, 2], [1, 5]]);
    expect(Array.from(bad)).toEqual([0, 0, -Infinity, 0, -Infinity, 0]);
    const forced = new Float64Array(3).fill(1);
    applyForcedTokens(forced, [1]);
    expect(Array.from(forced)).toEqual([-Infinity, 0, -Infinity]);
    const log = logSoftmax(Float32Array.from([Math.log(1), Math.log(3), -Infinity]));
    expect(Array.from(log).map(Math.exp)).toEqual([expect.closeTo(0.25, 6), expect.closeTo(0.75, 6), 0]);
  });
});
