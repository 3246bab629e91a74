import * as tf from '@tensorflow/tfjs-core';
import type { LlamaConfig } from '../config/index.ts';

/**
 * RoPE's inverse frequencies as transformers' ROPE_INIT_FUNCTIONS compute them for `headDim`:
 * `1 / theta^(2i / headDim)`; "linear" divides them by `factor`; "llama3" divides the low
 * frequencies (wavelength past original_max / low_freq_factor) by `factor` and blends the middle
 * band; "dynamic" (NTK) raises theta once `sequenceLength` passes max_position_embeddings.
 */
export function inverseFrequencies(config: LlamaConfig, headDim: number, sequenceLength: number): Float64Array {
  const scaling = config.rope_scaling;
  const type = scaling === null ? 'default' : (scaling.rope_type ?? scaling.type ?? 'default');
  let theta = config.rope_theta;
  if (type === 'dynamic' && sequenceLength > config.max_position_embeddings) {
    const factor = scaling!.factor!;
    theta *= ((factor * sequenceLength) / config.max_position_embeddings - (factor - 1)) ** (headDim / (headDim - 2));
  }
  const half = headDim / 2;
  const inv = Float64Array.from({ length: half }, (_, i) => 1 / theta ** ((2 * i) / headDim));
  if (type === 'linear') return inv.map((f) => f / scaling!.factor!);
  if (type === 'llama3') return llama3Frequencies(inv, scaling as Required<NonNullable<LlamaConfig['rope_scaling']>>);
  return inv;
}

function llama3Frequencies(inv: Float64Array, scaling: { factor: number; low_freq_factor: number; high_freq_factor: number; original_max_position_embeddings: number }): Float64Array {
  const { factor, low_freq_factor: low, high_freq_factor: high, original_max_position_embeddings: original } = scaling;
  const lowWavelength = original / low;
  const highWavelength = original / high;
  return inv.map((f) => {
    const wavelength = (2 * Math.PI) / f;
    if (wavelength < highWavelength) return f;
    if (wavelength > lowWavelength) return f / factor;
    const smooth = (original / wavelength - low) / (high - low);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** cos and sin of positions `past .. past + seq - 1`, `[seq, headDim]` each (the frequencies repeated twice, as transformers lays them out). */
export function rotaryTables(config: LlamaConfig, headDim: number, past: number, seqLength: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const inv = inverseFrequencies(config, headDim, past + seqLength);
  const half = headDim / 2;
  const cos = new Float32Array(seqLength * headDim);
  const sin = new Float32Array(seqLength * headDim);
  for (let s = 0; s < seqLength; s++) {
    for (let i = 0; i < half; i++) {
      const angle = (past + s) * inv[i];
      cos[s * headDim + i] = cos[s * headDim + half + i] = Math.cos(angle);
      sin[s * headDim + i] = sin[s * headDim + half + i] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [seqLength, headDim]), sin: tf.tensor2d(sin, [seqLength, headDim]) };
}

/**
 * `x * cos + rotate_half(x) * sin` on `[batch, heads, seq, headDim]`, rotate_half(x) = [-x2, x1]:
 * a gather of the swapped halves times a sign row (GatherV2 has a gradient on any axis here; SplitV
 * and Concat have none).
 */
export function applyRotary(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  const headDim = x.shape[3];
  const half = headDim / 2;
  const swapped = tf.gather(x, tf.tensor1d(Int32Array.from({ length: headDim }, (_, i) => (i < half ? i + half : i - half)), 'int32'), 3);
  const sign = tf.tensor1d(Float32Array.from({ length: headDim }, (_, i) => (i < half ? -1 : 1)));
  return tf.add(tf.mul(x, cos), tf.mul(tf.mul(swapped, sign), sin)) as tf.Tensor4D;
}
