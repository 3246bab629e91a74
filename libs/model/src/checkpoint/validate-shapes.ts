import { CheckpointError } from './checkpoint-error.ts';

/**
 * Checks that every tensor present in both `tensors` and `expected` has the expected shape.
 * Missing and unexpected names are not judged here: that policy belongs to the loader.
 * Throws one CheckpointError (code CHECKPOINT_SHAPE_MISMATCH) listing every mismatch; its `tensor`
 * is the first one.
 */
export function validateShapes(
  tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>,
  expected: ReadonlyMap<string, readonly number[]>,
  file: string,
): void {
  const mismatches: { name: string; expected: readonly number[]; actual: readonly number[] }[] = [];
  for (const [name, expectedShape] of expected) {
    const tensor = tensors.get(name);
    if (tensor !== undefined && !sameShape(tensor.shape, expectedShape)) {
      mismatches.push({ name, expected: expectedShape, actual: tensor.shape });
    }
  }
  if (mismatches.length === 0) return;
  const lines = mismatches.map((m) => `"${m.name}" expected [${m.expected.join(', ')}], got [${m.actual.join(', ')}]`);
  throw new CheckpointError(
    'CHECKPOINT_SHAPE_MISMATCH',
    file,
    `${mismatches.length} tensor shape(s) do not match the model config: ${lines.join('; ')}. ` +
      'Check that config.json belongs to this checkpoint (hidden_size, vocab_size, num_labels).',
    mismatches[0]!.name,
  );
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}
