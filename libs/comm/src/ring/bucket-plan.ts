import { CommError } from '../comm-error.ts';

/** PyTorch DDP's default bucket size: big enough to amortise per-collective latency. */
export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;

/** A contiguous run of whole tensors of the flattened gradient, all-reduced as one collective. */
export interface GradientBucket {
  readonly bucketId: number;
  /** First element of the bucket in the flattened gradient. */
  readonly offset: number;
  /** Number of f32 elements. */
  readonly length: number;
  /** Tensors [firstTensor, endTensor) of `sizes` lie in this bucket. */
  readonly firstTensor: number;
  readonly endTensor: number;
}

/**
 * Groups tensors (element counts, in a fixed order every rank shares, e.g. `model.parameters`
 * order) into buckets of at most `bucketBytes` of f32. A tensor is never split; one larger than
 * `bucketBytes` gets a bucket of its own. The plan is a pure function of its inputs, so every rank
 * computes the same one; a mismatch (ranks built different models) surfaces as a chunk-size
 * mismatch error, never a hang.
 */
export function planBuckets(sizes: readonly number[], bucketBytes: number = DEFAULT_BUCKET_BYTES): GradientBucket[] {
  if (!Number.isInteger(bucketBytes) || bucketBytes < 4) {
    throw new CommError('INVALID_ARGUMENT', `bucketBytes must be an integer >= 4, got ${bucketBytes}`);
  }
  const bucketElements = Math.floor(bucketBytes / 4);
  const buckets: GradientBucket[] = [];
  let offset = 0;
  let start = 0;
  let length = 0;
  const close = (end: number): void => {
    buckets.push({ bucketId: buckets.length, offset: offset - length, length, firstTensor: start, endTensor: end });
    start = end;
    length = 0;
  };
  sizes.forEach((size, index) => {
    if (!Number.isInteger(size) || size < 0) {
      throw new CommError('INVALID_ARGUMENT', `tensor ${index} has size ${size}; sizes must be non-negative integers`);
    }
    if (length > 0 && length + size > bucketElements) close(index);
    length += size;
    offset += size;
  });
  if (length > 0 || start < sizes.length) close(sizes.length);
  return buckets;
}

/** Splits a flat buffer into buckets of at most `bucketBytes` (no tensor boundaries to respect). */
export function planFlatBuckets(totalElements: number, bucketBytes: number = DEFAULT_BUCKET_BYTES): GradientBucket[] {
  const bucketElements = Math.max(1, Math.floor(bucketBytes / 4));
  const sizes: number[] = [];
  for (let left = totalElements; left > 0; left -= bucketElements) sizes.push(Math.min(bucketElements, left));
  return planBuckets(sizes, bucketBytes);
}
