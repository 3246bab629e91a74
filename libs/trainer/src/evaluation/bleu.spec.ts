import { describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { bleuFromStatistics, corpusBleu } from './bleu.ts';
import { tokenize13a } from './sacrebleu-tokenizer-13a.ts';

// Expected values are sacrebleu's own, from mjpost/sacrebleu: README.md ("Using SacreBLEU from the
// command line / Python"), test/test_bleu.py and test/test_sentence_bleu.py.
const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const HYPS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

describe('corpusBleu (sacrebleu defaults: 13a, exp smoothing, order 4)', () => {
  it('matches the README example: BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 hyp_len = 17 ref_len = 18)', () => {
    const bleu = corpusBleu(HYPS, REFS);
    expect(Math.abs(bleu.score - 48.530827)).toBeLessThan(1e-6); // test_bleu.py test_corpus_bleu_cases
    expect(bleu.score.toFixed(2)).toBe('48.53');
    expect(bleu.precisions.map((p) => p.toFixed(1))).toEqual(['82.4', '50.0', '45.5', '37.5']);
    expect(bleu.bp.toFixed(3)).toBe('0.943');
    expect([bleu.sysLen, bleu.refLen]).toEqual([17, 18]);
  });

  it('matches the README variable-reference example (an empty reference is skipped): 29.44, ref_len 19', () => {
    const refs = [['', ...REFS[0]!.slice(1)], REFS[1]!];
    const bleu = corpusBleu(HYPS, refs);
    expect(bleu.score.toFixed(2)).toBe('29.44');
    expect(bleu.precisions.map((p) => p.toFixed(1))).toEqual(['82.4', '42.9', '27.3', '12.5']);
    expect(bleu.refLen).toBe(19);
  });

  it('matches test_bleu.py test_corpus_bleu_cases and test_max_ngram_order', () => {
    expect(corpusBleu(['', '', ''], REFS).score).toBe(0);
    expect(Math.abs(corpusBleu(HYPS, REFS, { tokenize: 'none' }).score - 49.1919566)).toBeLessThan(1e-6);
    expect(Math.abs(corpusBleu(HYPS, REFS, { smoothMethod: 'none' }).score - 48.530827)).toBeLessThan(1e-6);
    const byOrder = [1, 2, 3, 4, 5, 6].map((order) => corpusBleu(HYPS, REFS, { maxNgramOrder: order }).score.toFixed(2));
    expect(byOrder).toEqual(['77.65', '60.50', '53.93', '48.53', '46.14', '43.28']);
  });

  it('matches test_bleu.py raw_corpus_bleu cases (floor 0.01, no tokenization, effective order)', () => {
    const raw = { smoothMethod: 'floor', smoothValue: 0.01, tokenize: 'none', effectiveOrder: true } as const;
    expect(corpusBleu(['this is a test', 'another test'], [['ref1', 'ref2']], raw).score).toBe(0);
    expect(corpusBleu(['this is a test'], [['this is a test']], raw).score / 100).toBeCloseTo(1, 8);
    expect(corpusBleu(['this is a fest'], [['this is a test']], raw).score / 100).toBeCloseTo(0.223606797749979, 8);
    expect(corpusBleu(['test'], [['a test']], raw).score / 100).toBeCloseTo(0.3678794411714425, 8);
    expect(corpusBleu(['a little test'], [['a test']], raw).score / 100).toBeCloseTo(0.03218297948685433, 8);
    const stats = corpusBleu(['am I am a character sequence'], [['I am a symbol string sequence a a']], raw);
    expect([stats.counts, stats.totals]).toEqual([[4, 2, 1, 0], [6, 5, 4, 3]]);
    // test_offset: floor smoothing with its default 0.1, and with 0 (no credit for the empty 4-gram order).
    const offset = (smoothValue?: number) =>
      corpusBleu(['am I am a character sequence'], [['I am a symbol string sequence a a']], { ...raw, smoothValue }).score / 100;
    expect(offset(undefined)).toBeCloseTo(0.1555722182, 8);
    expect(offset(0)).toBe(0);
  });

  it('matches test_bleu.py test_scoring from statistics', () => {
    expect(bleuFromStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11, { smoothMethod: 'none' }).score / 100).toBeCloseTo(0.8375922397, 8);
  });

  it('matches test_sentence_bleu.py (sentence BLEU = one segment, effective order) for every smoothing', () => {
    const ref = 'producţia de zahăr brut se exprimă în zahăr alb;';
    const sys = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
    const score = (options: Parameters<typeof corpusBleu>[2]) => corpusBleu([sys], [[ref]], { effectiveOrder: true, ...options }).score;
    expect(Math.abs(score({ smoothMethod: 'exp' }) - 8.493)).toBeLessThan(1e-3);
    expect(score({ smoothMethod: 'none' })).toBeCloseTo(0, 6);
    expect(Math.abs(score({ smoothMethod: 'floor' }) - 4.51688)).toBeLessThan(1e-3);
    expect(Math.abs(score({ smoothMethod: 'floor', smoothValue: 0.5 }) - 10.1)).toBeLessThan(1e-2);
    expect(Math.abs(score({ smoothMethod: 'add-k' }) - 14.882)).toBeLessThan(1e-3);
    expect(Math.abs(score({ smoothMethod: 'add-k', smoothValue: 2 }) - 21.389)).toBeLessThan(1e-3);
    expect(Math.abs(score({ tokenize: 'none' }) - 7.347)).toBeLessThan(1e-3);
    expect(corpusBleu(['this is a cat'], [['okay thanks']], { effectiveOrder: true }).score).toBe(0);
  });

  it('refuses streams of different lengths and a segment without any reference, naming them', () => {
    expect(() => corpusBleu(HYPS, [REFS[0]!.slice(0, 2)])).toThrow(/reference stream 0 has 2 segments, the hypotheses have 3/);
    let thrown: unknown;
    try {
      corpusBleu(['a'], [['']]);
    } catch (error) {
      thrown = error;
    }
    expect(errorCode(thrown)).toBe('EVALUATION_INPUT_INVALID');
    expect(String(thrown)).toMatch(/segment 0: every reference is empty/);
  });
});

describe('tokenize13a', () => {
  it('splits punctuation as mteval-v13a, keeps apostrophes, decimals and thousands inside numbers', () => {
    expect(tokenize13a('The dog bit the man.')).toBe('The dog bit the man .');
    expect(tokenize13a("It wasn't surprising.")).toBe("It wasn't surprising .");
    expect(tokenize13a('Pay $3.50, or 1,000 (now)!')).toBe('Pay $ 3.50 , or 1,000 ( now ) !');
    expect(tokenize13a('pages 10-12 &amp; &quot;more&quot;')).toBe('pages 10 - 12 & " more "');
    expect(tokenize13a('  a\tb  ')).toBe('a b');
  });
});
