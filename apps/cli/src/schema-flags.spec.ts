import { RunArgumentsSchema } from '@tunefleet/run';
import { TrainingArgumentsSchema } from '@tunefleet/trainer';
import { describe, expect, it } from 'vitest';
import { flagKind, optionsFromShape, optionValuesToKeys } from './schema-flags.ts';
import { trainSchemaOptions } from './train-flags.ts';

describe('TrainingArguments flags', () => {
  it('derives one kebab-case flag per TrainingArguments field with the right kind', () => {
    const shape = TrainingArgumentsSchema.shape as Record<string, unknown>;
    expect(flagKind(shape.learning_rate)).toBe('number');
    expect(flagKind(shape.load_best_model_at_end)).toBe('boolean');
    expect(flagKind(shape.eval_strategy)).toBe('string');
    expect(flagKind(shape.save_total_limit)).toBe('number'); // nullable number
    const flags = optionsFromShape(shape).map((o) => o.long);
    for (const name of ['--learning-rate', '--per-device-train-batch-size', '--gradient-accumulation-steps', '--warmup-ratio', '--metric-for-best-model', '--early-stopping-patience']) {
      expect(flags).toContain(name);
    }
  });

  it('parses numbers and booleans strictly', () => {
    const shape = TrainingArgumentsSchema.shape as Record<string, unknown>;
    const options = optionsFromShape(shape);
    const lr = options.find((o) => o.long === '--learning-rate')!;
    expect(lr.parseArg!('3e-4', undefined)).toBe(3e-4);
    expect(() => lr.parseArg!('fast', undefined)).toThrow('--learning-rate: expected a number, got "fast"');
    const best = options.find((o) => o.long === '--load-best-model-at-end')!;
    expect(best.parseArg!('false', undefined)).toBe(false);
    expect(() => best.parseArg!('maybe', undefined)).toThrow('--load-best-model-at-end: expected true or false');
    expect(optionValuesToKeys({ learningRate: 1, perDeviceTrainBatchSize: 8, adamBeta1: 0.8, seed: undefined, unknown: 3 }, shape)).toEqual({
      learning_rate: 1,
      per_device_train_batch_size: 8,
      adam_beta1: 0.8,
    });
  });
});

describe('array fields', () => {
  it('become repeatable flags: each one adds an element, numbers parsed strictly', async () => {
    const { z } = await import('zod');
    const shape = { gate: RunArgumentsSchema.shape.gate, ports: z.array(z.number()).optional() };
    expect(flagKind(shape.gate)).toBe('list');
    const [gate, ports] = optionsFromShape(shape);
    expect(gate!.long).toBe('--gate');
    expect(gate!.description).toContain('(repeatable)');
    expect(gate!.parseArg!('f1>=0', gate!.parseArg!('accuracy>=-0.5', undefined))).toEqual(['accuracy>=-0.5', 'f1>=0']);
    expect(ports!.parseArg!('8', [7])).toEqual([7, 8]);
    expect(() => ports!.parseArg!('eight', undefined)).toThrow('--ports: expected a number, got "eight"');
  });
});

describe('run flags', () => {
  it('take their flag, help and default from the schema, and set no commander default', () => {
    const options = optionsFromShape(RunArgumentsSchema.shape);
    const model = options.find((o) => o.long === '--model')!;
    expect(model.description).toMatch(/^pretrained model: a directory in Hugging Face layout/);
    const maxSeqLength = options.find((o) => o.long === '--max-seq-length')!;
    expect(maxSeqLength.description).toBe('truncate to at most this many tokens (padding is per batch) (default: 128)');
    const task = options.find((o) => o.long === '--task')!;
    expect(task.description).toContain('(one of: sequence-classification, token-classification, masked-lm, causal-lm, translation) (default: "sequence-classification")');
    expect(options.every((o) => o.defaultValue === undefined)).toBe(true);
    expect(optionValuesToKeys({ model: 'm', maxSeqLength: 64 }, RunArgumentsSchema.shape)).toEqual({ model_name_or_path: 'm', max_seq_length: 64 });
  });

  it('give `train` one flag per field of every schema, none twice, --collective-timeout-ms among them', () => {
    const flags = trainSchemaOptions().map((o) => o.long);
    expect(new Set(flags).size).toBe(flags.length);
    for (const name of ['--model', '--task', '--train-file', '--text-column', '--backend', '--threads', '--gradient-dtype', '--collective-timeout-ms', '--bind-cores', '--learning-rate', '--output-dir']) {
      expect(flags).toContain(name);
    }
    const timeout = trainSchemaOptions().find((o) => o.long === '--collective-timeout-ms')!;
    expect(timeout.description).toContain('(default: 30000)');
  });
});
