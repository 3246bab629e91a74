import * as tf from '@tensorflow/tfjs-core';

/**
 * MarianSinusoidalPositionalEmbedding's table `[positions, dim]`: position p, feature j gets angle
 * p / 10000^(2 floor(j / 2) / dim); the sines of the even features fill the first half (ceil(dim / 2)
 * columns), the cosines of the odd features the second (not interleaved, unlike XLM's). Computed in
 * float64 and stored as float32, as transformers does. Position 0 is the first token (no padding offset).
 */
export function sinusoidalTable(positions: number, dim: number): Float32Array {
  const table = new Float32Array(positions * dim);
  const sentinel = dim % 2 === 0 ? dim / 2 : Math.floor(dim / 2) + 1;
  for (let p = 0; p < positions; p++) {
    const row = p * dim;
    for (let j = 0; j < dim; j += 2) table[row + j / 2] = Math.sin(p / Math.pow(10000, (2 * Math.floor(j / 2)) / dim));
    for (let j = 1; j < dim; j += 2) table[row + sentinel + (j - 1) / 2] = Math.cos(p / Math.pow(10000, (2 * Math.floor(j / 2)) / dim));
  }
  return table;
}

export function sinusoidalPositions(positions: number, dim: number): tf.Tensor2D {
  return tf.tensor2d(sinusoidalTable(positions, dim), [positions, dim]);
}
