import { describe, expect, it } from 'vitest';
import { parseRunConfig } from './run-spec.ts';
import { runSpecError } from './test-support.ts';
import { translationSources } from './translation-inputs.ts';
import { runArgumentsFromWire, runArgumentsJsonOf } from './wire-run-arguments.ts';

const base = { model_name_or_path: 'm', task: 'translation', output_dir: 'out' };

describe('translation run fields (run_translation and Seq2SeqTrainingArguments names)', () => {
  it('aligned files: train_file defaults to source_file; run_translation defaults for the lengths', () => {
    const { run } = parseRunConfig({ ...base, source_file: 'train.en', target_file: 'train.de' }, 'test');
    expect(run).toMatchObject({ task: 'translation', train_file: 'train.en', source_file: 'train.en', target_file: 'train.de', max_source_length: 1024, max_target_length: 128, on_long_target: 'truncate' });
    expect(run.training_arguments).toMatchObject({ predict_with_generate: false, generation_max_length: null, generation_num_beams: null });
    expect(translationSources(run)).toEqual({ train: { kind: 'aligned', sourceFile: 'train.en', targetFile: 'train.de' } });
  });

  it('JSONL train and validation files with the language keys; Seq2Seq training arguments parse', () => {
    const { run } = parseRunConfig(
      {
        ...base,
        train_file: 'train.jsonl',
        validation_file: 'dev.jsonl',
        source_lang: 'en',
        target_lang: 'de',
        source_prefix: 'translate English to German: ',
        max_source_length: 64,
        max_target_length: 32,
        on_long_target: 'error',
        predict_with_generate: true,
        generation_max_length: 40,
        generation_num_beams: 4,
      },
      'test',
    );
    expect(run).toMatchObject({ source_prefix: 'translate English to German: ', max_source_length: 64, max_target_length: 32, on_long_target: 'error' });
    expect(run.training_arguments).toMatchObject({ predict_with_generate: true, generation_max_length: 40, generation_num_beams: 4 });
    expect(translationSources(run)).toEqual({
      train: { kind: 'jsonl', file: 'train.jsonl', sourceLang: 'en', targetLang: 'de' },
      validation: { kind: 'jsonl', file: 'dev.jsonl', sourceLang: 'en', targetLang: 'de' },
    });
  });

  it('aligned validation files', () => {
    const { run } = parseRunConfig({ ...base, source_file: 'a.en', target_file: 'a.de', validation_source_file: 'v.en', validation_target_file: 'v.de' }, 'test');
    expect(translationSources(run).validation).toEqual({ kind: 'aligned', sourceFile: 'v.en', targetFile: 'v.de' });
  });

  it('every inconsistent or invalid field is named with its flag, in one error', () => {
    const error = runSpecError(() => parseRunConfig({ ...base, source_file: 'a.en', validation_source_file: 'v.en' }, 'run.yaml'));
    expect(error.issues.map((issue) => [issue.field, issue.flag])).toEqual([
      ['target_file', '--target-file'],
      ['validation_target_file', '--validation-target-file'],
    ]);
    const jsonl = runSpecError(() => parseRunConfig({ ...base, train_file: 'train.jsonl' }, 'run.yaml'));
    expect(jsonl.issues.map((issue) => issue.field)).toEqual(['source_lang', 'target_lang']);
    expect(jsonl.message).toContain('--source-lang en --target-lang de');
    const values = runSpecError(() =>
      parseRunConfig({ ...base, source_file: 'a.en', target_file: 'a.de', on_long_target: 'drop', max_target_length: 0, generation_num_beams: 0 }, 'run.yaml'),
    );
    expect(values.issues.map((issue) => [issue.field, issue.flag])).toEqual([
      ['max_target_length', '--max-target-length'],
      ['on_long_target', '--on-long-target'],
      ['generation_num_beams', '--generation-num-beams'],
    ]);
  });

  it('a job carries the translation fields to every rank in run_arguments_json', () => {
    const { run } = parseRunConfig({ ...base, source_file: 'a.en', target_file: 'a.de', source_prefix: 'p: ', max_target_length: 64, on_long_target: 'error' }, 'test');
    const wire = { modelNameOrPath: run.model_name_or_path, task: run.task, trainFile: run.train_file, validationFile: '', runArgumentsJson: runArgumentsJsonOf(run) };
    expect(runArgumentsFromWire(wire, 'job j1')).toMatchObject({ task: 'translation', train_file: 'a.en', source_file: 'a.en', target_file: 'a.de', source_prefix: 'p: ', max_target_length: 64, on_long_target: 'error' });
  });

  it('other tasks ignore the translation fields', () => {
    const { run } = parseRunConfig({ model_name_or_path: 'm', train_file: 't.tsv', output_dir: 'out', source_file: 'x' }, 'test');
    expect(run.task).toBe('sequence-classification');
  });
});
