import { RunSpecError } from '@tunefleet/run';
import { describe, expect, it } from 'vitest';
import { parseInferenceOptions } from './inference-options.ts';
import { parseTrainConfig } from './run-config.ts';

describe('evaluate/predict options', () => {
  it('default the columns and truncation as train does (text column: the first of text, sentence, sentence1)', () => {
    const inference = parseInferenceOptions({ model: 'runs/sst2' }, 'evaluate flags');
    const { run } = parseTrainConfig({ model: 'runs/sst2', train_file: 't.tsv', output_dir: 'o' }, {}, 'train flags');
    expect(inference.text_column).toBeUndefined();
    expect(inference).toMatchObject({ model_name_or_path: 'runs/sst2', backend: 'auto' });
    for (const key of ['text_column', 'text_pair_column', 'label_column', 'max_seq_length'] as const) expect(inference[key]).toBe(run[key]);
  });

  it('checks the flags against the run schema, every bad one at once', () => {
    const error = (() => {
      try {
        return parseInferenceOptions({ model: 'm', maxSeqLength: 0, backend: 'gpu' }, 'evaluate flags');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RunSpecError);
    expect((error as RunSpecError).issues.map((issue) => issue.flag)).toEqual(['--max-seq-length', '--backend']);
  });
});
