import { GradientDtype, JobSpec } from '@tunefleet/proto';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { JobSpecError } from './coordinator-error.ts';
import { parseJobSpecYaml, validateJobSpec, validateJobSpecInput } from './job-spec.ts';

const GOOD_YAML = `
name: sst2-tiny
model_name_or_path: prajjwal1/bert-tiny
task: sequence-classification
train_file: data/sst2/train.tsv
world_size: 2
gradient_dtype: bf16
training_arguments:
  output_dir: runs/sst2
  learning_rate: 3.0e-5
  per_device_train_batch_size: 16
`;

function specError(run: () => unknown): JobSpecError {
  try {
    run();
  } catch (error) {
    if (error instanceof JobSpecError) return error;
    throw error;
  }
  throw new Error('expected a JobSpecError');
}

describe('parseJobSpecYaml', () => {
  it('turns a job file into a canonical JobSpec with defaults filled in', () => {
    const spec = parseJobSpecYaml(GOOD_YAML, 'job.yaml');
    expect(spec).toMatchObject({ name: 'sst2-tiny', worldSize: 2, gradientDtype: GradientDtype.GRADIENT_DTYPE_BF16, collectiveTimeoutMs: 30_000, validationFile: '' });
    const args = JSON.parse(spec.trainingArgumentsJson);
    expect(args).toMatchObject({ output_dir: 'runs/sst2', learning_rate: 3e-5, per_device_train_batch_size: 16, seed: 42 });
  });

  it('lists every invalid field with its line, including nested training arguments', () => {
    const yaml = [
      'name: Bad Name!',
      'task: summarisation',
      'train_file: data/train.tsv',
      'world_size: 0',
      'colective_timeout_ms: 100',
      'training_arguments:',
      '  output_dir: runs/x',
      '  learning_rate: fast',
      '  warmup_ratio: 2',
    ].join('\n');
    const error = specError(() => parseJobSpecYaml(yaml, 'bad.yaml'));
    expect(error.code).toBe('JOB_SPEC_INVALID');
    expect(error.issues.map((issue) => [issue.field, issue.line])).toEqual(
      expect.arrayContaining([
        ['name', 1],
        ['model_name_or_path', undefined],
        ['task', 2],
        ['world_size', 4],
        ['colective_timeout_ms', 5],
        ['training_arguments.learning_rate', 8],
        ['training_arguments.warmup_ratio', 9],
      ]),
    );
    expect(error.issues).toHaveLength(7);
    expect(error.message).toMatch(/^bad\.yaml: 7 invalid job spec field\(s\):/);
    expect(error.message).toContain('world_size (line 4):');
  });

  it('carries the data fields of `tunefleet train`, defaults filled in, and names invalid ones', () => {
    const defaults = parseJobSpecYaml(GOOD_YAML, 'job.yaml');
    expect(defaults).toMatchObject({ labelColumn: 'label', maxSeqLength: 128, skipBadRows: false });
    expect(defaults.textColumn).toBeUndefined();
    expect(defaults.textPairColumn).toBeUndefined();
    const yaml = `${GOOD_YAML}text_column: premise\ntext_pair_column: hypothesis\nlabel_column: gold\nmax_seq_length: 64\nskip_bad_rows: true\n`;
    const spec = parseJobSpecYaml(yaml, 'job.yaml');
    expect(spec).toMatchObject({ textColumn: 'premise', textPairColumn: 'hypothesis', labelColumn: 'gold', maxSeqLength: 64, skipBadRows: true });
    // Over the wire and back (the coordinator stores JobSpec JSON): nothing lost.
    expect(JobSpec.decode(JobSpec.encode(spec).finish())).toEqual(spec);
    expect(JobSpec.fromJSON(JobSpec.toJSON(spec))).toEqual(spec);
    const bad = specError(() => parseJobSpecYaml(`${GOOD_YAML}max_seq_length: 4096\ntext_column: ""\n`, 'job.yaml'));
    expect(bad.issues.map((issue) => [issue.field, issue.line]).sort()).toEqual([
      ['max_seq_length', 12],
      ['text_column', 13],
    ]);
  });

  it('takes collective_timeout_ms from the job file, within its bounds', () => {
    expect(parseJobSpecYaml(`${GOOD_YAML}collective_timeout_ms: 90000\n`, 'job.yaml').collectiveTimeoutMs).toBe(90_000);
    const bad = specError(() => parseJobSpecYaml(`${GOOD_YAML}collective_timeout_ms: 50\n`, 'job.yaml'));
    expect(bad.issues.map((issue) => [issue.field, issue.line])).toEqual([['collective_timeout_ms', 12]]);
  });

  it('gives the RunSpec the job runs, as `tunefleet train` would parse it', () => {
    const { run, trainingArguments } = validateJobSpecInput(parseYaml(GOOD_YAML), 'job.yaml');
    expect(run).toMatchObject({ model_name_or_path: 'prajjwal1/bert-tiny', task: 'sequence-classification', train_file: 'data/sst2/train.tsv', label_column: 'label', max_seq_length: 128 });
    expect(run.training_arguments).toEqual(trainingArguments);
    expect(run).not.toHaveProperty('world_size');
    expect(run).not.toHaveProperty('gradient_dtype');
  });

  it('carries the run fields without a typed wire field (task options, slices, gates) to the workers unchanged', () => {
    const yaml = `${GOOD_YAML}group_column: domain\nlong_text_strategy: sliding-window\nstride: 16\ngate: ['accuracy>=-0.5']\n`;
    const spec = parseJobSpecYaml(yaml, 'job.yaml');
    const { run } = validateJobSpec(JobSpec.decode(JobSpec.encode(spec).finish()), 'SubmitJob');
    expect(run).toEqual(validateJobSpecInput(parseYaml(yaml), 'job.yaml').run);
    expect(run).toMatchObject({ group_column: 'domain', long_text_strategy: 'sliding-window', stride: 16, gate: ['accuracy>=-0.5'] });
    const bad = specError(() => validateJobSpec({ ...spec, runArgumentsJson: '{"stride": "wide"}' }, 'SubmitJob'));
    expect(bad.issues.map((issue) => issue.field)).toEqual(['stride']);
  });

  it('reports YAML syntax errors and non-mapping documents', () => {
    expect(specError(() => parseJobSpecYaml('name: [unclosed', 'x.yaml')).issues[0].field).toBe('(yaml)');
    expect(specError(() => parseJobSpecYaml('- a\n- b\n', 'x.yaml')).message).toContain('expected a mapping');
  });
});

describe('validateJobSpec (gRPC edge)', () => {
  it('treats proto zero values as missing and names every field', () => {
    const error = specError(() => validateJobSpec(JobSpec.fromPartial({ name: 'ok', trainingArgumentsJson: '{"output_dir": 5}' }), 'SubmitJob'));
    expect(error.issues.map((issue) => issue.field).sort()).toEqual(['model_name_or_path', 'task', 'train_file', 'training_arguments.output_dir', 'world_size']);
  });

  it('reports JSON that does not parse as training_arguments_json, alongside the other fields', () => {
    const error = specError(() => validateJobSpec(JobSpec.fromPartial({ trainingArgumentsJson: '{nope' }), 'SubmitJob'));
    const fields = error.issues.map((issue) => issue.field);
    expect(fields).toContain('training_arguments_json');
    expect(fields).toContain('name');
    expect(fields.filter((field) => field.startsWith('training_arguments.'))).toEqual([]);
  });

  it('rejects an unknown gradient dtype and accepts its own canonical output unchanged', () => {
    const spec = parseJobSpecYaml(GOOD_YAML, 'job.yaml');
    expect(specError(() => validateJobSpec({ ...spec, gradientDtype: 7 as GradientDtype }, 'SubmitJob')).issues[0].field).toBe('gradient_dtype');
    expect(validateJobSpec(spec, 'SubmitJob').spec).toEqual(spec);
    const withData = { ...spec, textColumn: 'premise', textPairColumn: 'hypothesis', maxSeqLength: 64, skipBadRows: true };
    expect(validateJobSpec(withData, 'SubmitJob').spec).toEqual(withData);
  });

  it('fills the data defaults for a wire spec that leaves them unset (older clients)', () => {
    const spec = parseJobSpecYaml(GOOD_YAML, 'job.yaml');
    const { labelColumn: _l, maxSeqLength: _m, skipBadRows: _s, ...older } = spec;
    expect(validateJobSpec(older, 'SubmitJob').spec).toEqual(spec);
  });
});
