import { describe, expect, it } from 'vitest';
import { RunSpecError } from './run-spec-error.ts';
import { runArgumentsFromWire } from './wire-run-arguments.ts';

const wire = { modelNameOrPath: 'models/tiny', task: 'token-classification', trainFile: 'train.conll', validationFile: '' };

describe('runArgumentsFromWire: a gRPC JobSpec’s run fields', () => {
  it('fills the defaults a spec stored before the data fields existed leaves unset', () => {
    expect(runArgumentsFromWire(wire, 'job j1')).toEqual({
      model_name_or_path: 'models/tiny',
      task: 'token-classification',
      train_file: 'train.conll',
      label_column: 'label',
      max_seq_length: 128,
      skip_bad_rows: false,
    });
  });

  it('keeps what the spec sets', () => {
    const run = runArgumentsFromWire({ ...wire, validationFile: 'dev.conll', textColumn: 'premise', labelColumn: 'gold', maxSeqLength: 64, skipBadRows: true }, 'job j1');
    expect(run).toMatchObject({ validation_file: 'dev.conll', text_column: 'premise', label_column: 'gold', max_seq_length: 64, skip_bad_rows: true });
  });

  it('refuses a task no run trains, naming the field', () => {
    expect(() => runArgumentsFromWire({ ...wire, task: 'masked-lm' }, 'job j1')).toThrow(RunSpecError);
    expect(() => runArgumentsFromWire({ ...wire, task: 'masked-lm', maxSeqLength: 4096 }, 'job j1')).toThrow(/job j1: 2 invalid run field\(s\):\n {2}task \(--task\)/);
  });
});
