import { describe, expect, it } from 'vitest';
import { RunSpecError } from './run-spec-error.ts';
import { runArgumentsFromWire, runArgumentsJsonOf } from './wire-run-arguments.ts';

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
      // The task fields' own defaults (issue 13's options).
      label_all_tokens: false,
      long_text_strategy: 'head',
      line_by_line: false,
      mlm_probability: 0.15,
      whole_word_mask: false,
      // Causal LM's (issue 15): TRL-named chat options.
      assistant_only_loss: true,
      packing: false,
      long_conversation_strategy: 'truncate',
      // Translation's (issue 14): run_translation's length defaults.
      max_source_length: 1024,
      max_target_length: 128,
      on_long_target: 'truncate',
    });
  });

  it('keeps what the spec sets', () => {
    const run = runArgumentsFromWire({ ...wire, validationFile: 'dev.conll', textColumn: 'premise', labelColumn: 'gold', maxSeqLength: 64, skipBadRows: true }, 'job j1');
    expect(run).toMatchObject({ validation_file: 'dev.conll', text_column: 'premise', label_column: 'gold', max_seq_length: 64, skip_bad_rows: true });
  });

  it('refuses a task no run trains, naming the field', () => {
    expect(() => runArgumentsFromWire({ ...wire, task: 'question-answering' }, 'job j1')).toThrow(RunSpecError);
    expect(() => runArgumentsFromWire({ ...wire, task: 'question-answering', maxSeqLength: 4096 }, 'job j1')).toThrow(/job j1: 2 invalid run field\(s\):\n {2}task \(--task\)/);
  });

  it('carries every run field without a typed wire field in run_arguments_json, checked by the same schema', () => {
    const run = { ...runArgumentsFromWire(wire, 'job j1'), group_column: 'domain', long_text_strategy: 'sliding-window', stride: 16, gate: ['accuracy>=-0.5'] };
    const json = runArgumentsJsonOf(run);
    expect(JSON.parse(json)).not.toHaveProperty('model_name_or_path');
    expect(runArgumentsFromWire({ ...wire, runArgumentsJson: json }, 'job j1')).toEqual(run);
    expect(() => runArgumentsFromWire({ ...wire, runArgumentsJson: '{"stride": -1}' }, 'job j1')).toThrow(/stride \(--stride\)/);
    expect(() => runArgumentsFromWire({ ...wire, runArgumentsJson: '[1]' }, 'job j1')).toThrow(/run_arguments_json: must be a JSON object/);
    expect(() => runArgumentsFromWire({ ...wire, runArgumentsJson: '{"task": "masked-lm"}' }, 'job j1')).toThrow(/run_arguments_json: carries task/);
    expect(() => runArgumentsFromWire({ ...wire, runArgumentsJson: '{' }, 'job j1')).toThrow(/run_arguments_json: is not valid JSON/);
  });
});
