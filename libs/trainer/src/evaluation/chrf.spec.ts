import { describe, expect, it } from 'vitest';
import { corpusChrf } from './chrf.ts';

// Expected values are sacrebleu's own, from mjpost/sacrebleu: README.md (chrF2 = 59.73 for the
// Python API example) and test/test_chrf.py (beta 3 cases, eps smoothing and effective order,
// whitespace kept, sentence level with the default beta 2).
const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const HYPS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
const EPSILON = 1e-4; // test_chrf.py's

describe('corpusChrf (sacrebleu CHRF defaults: char order 6, word order 0, beta 2, whitespace removed)', () => {
  it('matches the README example: chrF2 = 59.73', () => {
    expect(corpusChrf(HYPS, REFS).score.toFixed(2)).toBe('59.73');
  });

  const beta3Eps: [string[], string[], number][] = [
    [['abcdefg'], ['hijklmnop'], 0],
    [['a'], ['b'], 0],
    [[''], ['b'], 0],
    [[''], ['ref'], 0],
    [[''], ['reference'], 0],
    [['aa'], ['ab'], 8.3333],
    [['a', 'b'], ['a', 'c'], 8.3333],
    [['a'], ['a'], 16.6667],
    [['a b c'], ['a b c'], 50],
    [['a b c'], ['abc'], 50],
    [
      [' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'],
      ['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .'],
      63.36173,
    ],
    [
      [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
      ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
      64.1302698,
    ],
    [['Niemand hat die Absicht, eine Mauer zu errichten'], ['Niemand hat die Absicht, eine Mauer zu errichten'], 100],
  ];
  it.each(beta3Eps)('test_chrf: %j vs %j with eps smoothing, beta 3 -> %d', (hyps, refs, expected) => {
    expect(Math.abs(corpusChrf(hyps, [refs], { beta: 3, epsSmoothing: true }).score - expected)).toBeLessThan(EPSILON);
  });

  const beta3Effective: [string[], string[], number][] = [
    [['a'], ['a'], 100],
    [[''], ['reference'], 0],
    [['a b c'], ['a b c'], 100],
    [['a b c'], ['abc'], 100],
    [[''], ['c'], 0],
    [['a', 'b'], ['a', 'c'], 50],
    [['aa'], ['ab'], 25],
  ];
  it.each(beta3Effective)('test_chrf_eff_order: %j vs %j, beta 3 -> %d', (hyps, refs, expected) => {
    expect(Math.abs(corpusChrf(hyps, [refs], { beta: 3 }).score - expected)).toBeLessThan(EPSILON);
  });

  it('test_chrf_keep_whitespace: whitespace counted as characters, beta 3', () => {
    const first = corpusChrf(
      ['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'],
      [['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.']],
      { beta: 3, whitespace: true },
    );
    expect(Math.abs(first.score - 67.3481606)).toBeLessThan(EPSILON);
    const second = corpusChrf(
      ['risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'],
      [['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .']],
      { beta: 3, whitespace: true },
    );
    expect(Math.abs(second.score - 65.2414427)).toBeLessThan(EPSILON);
  });

  const sentenceLevel: [string, string, number][] = [
    [
      'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
      'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.',
      39.14078509,
    ],
    [
      'Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
      'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.',
      31.22557079,
    ],
    [
      'Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
      'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.',
      57.15704367,
    ],
  ];
  it.each(sentenceLevel)('test_chrf_sentence_level (beta 2, eps smoothing): %s', (hyp, ref, expected) => {
    expect(Math.abs(corpusChrf([hyp], [[ref]], { epsSmoothing: true }).score - expected)).toBeLessThan(EPSILON);
  });

  it('takes, per segment, the reference with the best F-score', () => {
    const single = corpusChrf(['the cat sat'], [['a dog ran']]).score;
    const withBetter = corpusChrf(['the cat sat'], [['a dog ran'], ['the cat sat']]).score;
    expect(single).toBeLessThan(50);
    expect(withBetter).toBeCloseTo(100, 10);
  });

  it('chrF++ (word order 2) adds word n-grams, with a final punctuation mark split off a word', () => {
    expect(corpusChrf(['the cat.'], [['the cat .']], { wordOrder: 2 }).score).toBeCloseTo(100, 10);
    // Same characters, different words: chrF is 100, chrF++ is not.
    expect(corpusChrf(['thecat'], [['the cat']]).score).toBeCloseTo(100, 10);
    expect(corpusChrf(['thecat'], [['the cat']], { wordOrder: 2 }).score).toBeLessThan(90);
  });
});
