import { defaultSpecialTokens, trainTokenizer, type PreTokenizerType } from '@tunefleet/tokenizer';

export interface TrainTokenizerInput {
  readonly files: readonly string[];
  readonly type: PreTokenizerType;
  readonly vocabSize: number;
  readonly minFrequency: number;
  /** `--special-tokens` values as given: repeated flags and/or comma lists; none: the type's defaults. */
  readonly specialTokens?: readonly string[];
  readonly output: string;
}

/** `--special-tokens a,b --special-tokens c` → [a, b, c]; empty entries of a list are dropped. */
export function splitSpecialTokens(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(',')).map((token) => token.trim()).filter((token) => token.length > 0);
}

/**
 * `tunefleet train-tokenizer FILE...`: BPE with Hugging Face BpeTrainer's semantics, written as
 * tokenizer.json, tokenizer_config.json and special_tokens_map.json in --output; prints the sizes
 * and the time it took.
 */
export async function runTrainTokenizer(input: TrainTokenizerInput): Promise<number> {
  const specialTokens = input.specialTokens === undefined ? defaultSpecialTokens(input.type) : splitSpecialTokens(input.specialTokens);
  const startedMs = performance.now();
  const result = await trainTokenizer({
    files: input.files,
    type: input.type,
    vocabSize: input.vocabSize,
    minFrequency: input.minFrequency,
    specialTokens,
    outputDir: input.output,
  });
  const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  process.stdout.write(
    `trained ${input.type} BPE: ${result.vocabSize} tokens (${specialTokens.length} special, ${result.merges} merges) ` +
      `from ${result.lines} lines (${result.distinctWords} distinct words) in ${seconds} s\n` +
      `wrote ${result.files.join(', ')}\n`,
  );
  return 0;
}
