/** A tensor as checkpoints carry it: row-major float32 values and their shape. */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}

/** What a safetensors file holds: tensors in header order, and its `__metadata__` strings. */
export interface SafetensorsContents {
  tensors: Map<string, TensorData>;
  metadata: Record<string, string>;
}

/** Number of elements of `shape`; 1 for a scalar (`[]`). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}
