/**
 * transformers' logits processors and warpers on one row of next-token scores (a Float32Array of
 * vocab entries, changed in place). Generation applies them in transformers' order: repetition
 * penalty, then (sampling only) temperature, top-k, top-p.
 */

/** RepetitionPenaltyLogitsProcessor (CTRL): each id seen so far (prompt and generated) gets score / penalty if > 0, score * penalty otherwise. */
export function applyRepetitionPenalty(scores: Float32Array | Float64Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(seen)) {
    const score = scores[id];
    scores[id] = score < 0 ? score * penalty : score / penalty;
  }
}

/** TemperatureLogitsWarper: scores / temperature. */
export function applyTemperature(scores: Float32Array, temperature: number): void {
  if (temperature === 1) return;
  for (let i = 0; i < scores.length; i++) scores[i] /= temperature;
}

/** TopKLogitsWarper: every score below the k-th largest becomes -Infinity (ties with the k-th are kept). */
export function applyTopK(scores: Float32Array, topK: number): void {
  if (topK <= 0 || topK >= scores.length) return;
  const kth = Float32Array.from(scores).sort((a, b) => b - a)[topK - 1];
  for (let i = 0; i < scores.length; i++) if (scores[i] < kth) scores[i] = -Infinity;
}

/**
 * TopPLogitsWarper (nucleus): keeps the smallest set of most likely tokens whose probabilities sum
 * to at least `topP` (transformers removes the ascending-sorted tokens whose cumulative probability
 * is <= 1 - top_p), at least one token.
 */
export function applyTopP(scores: Float32Array, topP: number): void {
  if (topP >= 1) return;
  const probs = softmax(scores);
  const ascending = Array.from(scores.keys()).sort((a, b) => probs[a] - probs[b] || b - a);
  let cumulative = 0;
  for (let rank = 0; rank < ascending.length - 1; rank++) {
    cumulative += probs[ascending[rank]];
    if (cumulative <= 1 - topP) scores[ascending[rank]] = -Infinity;
    else break;
  }
}

/** Softmax in float64 over a row (`-Infinity` entries get probability 0). */
export function softmax(scores: Float32Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  const probs = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    probs[i] = scores[i] === -Infinity ? 0 : Math.exp(scores[i] - max);
    sum += probs[i];
  }
  for (let i = 0; i < probs.length; i++) probs[i] /= sum;
  return probs;
}

/** The index of the largest score (the first one on ties, as torch.argmax). */
export function argmax(scores: Float32Array): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

/** One draw from the softmax of `scores` with a uniform `random()` in [0, 1) (inverse CDF). */
export function sampleFrom(scores: Float32Array, random: () => number): number {
  const probs = softmax(scores);
  const u = random();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    cumulative += probs[i];
    last = i;
    if (u < cumulative) return i;
  }
  return last; // rounding left u above the total
}

/**
 * NoRepeatNGramLogitsProcessor: with `ids` the sequence so far (the decoder start token included),
 * every token that would complete an n-gram already in `ids` gets -Infinity.
 */
export function applyNoRepeatNgram(scores: Float32Array | Float64Array, ids: readonly number[], size: number): void {
  if (size <= 0 || ids.length + 1 < size) return;
  const prefix = ids.slice(ids.length + 1 - size).join(',');
  for (let start = 0; start + size <= ids.length; start++) {
    if (ids.slice(start, start + size - 1).join(',') === prefix) scores[ids[start + size - 1]] = -Infinity;
  }
}

/**
 * NoBadWordsLogitsProcessor: a one-token entry is never generated; a longer one bans its last token
 * when the sequence ends with the entry's other tokens.
 */
export function applyBadWords(scores: Float32Array | Float64Array, ids: readonly number[], badWords: readonly (readonly number[])[]): void {
  for (const words of badWords) {
    const prefix = words.slice(0, -1);
    const matches = prefix.length <= ids.length && prefix.every((id, i) => ids[ids.length - prefix.length + i] === id);
    if (matches) scores[words[words.length - 1]] = -Infinity;
  }
}

/** ForcedBOSTokenLogitsProcessor / ForcedEOSTokenLogitsProcessor: every score -Infinity but the forced ids' (0). */
export function applyForcedTokens(scores: Float32Array | Float64Array, ids: readonly number[]): void {
  scores.fill(-Infinity);
  for (const id of ids) scores[id] = 0;
}

/** log_softmax of one row in float64 (`-Infinity` stays `-Infinity`). */
export function logSoftmax(scores: Float32Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  let sum = 0;
  for (const s of scores) sum += Math.exp(s - max);
  const log = Math.log(sum) + max;
  return Float64Array.from(scores, (s) => s - log);
}
