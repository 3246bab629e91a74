import { describe, expect, it } from 'vitest';
import { TrainingArgumentsError } from './trainer-error.ts';
import { parseTrainingArguments, trainingArgumentsToJSON } from './training-arguments.ts';

function issuesOf(input: unknown): { field: string; message: string }[] {
  try {
    parseTrainingArguments(input, 'job.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(TrainingArgumentsError);
    expect((error as TrainingArgumentsError).code).toBe('ARGS_INVALID');
    return [...(error as TrainingArgumentsError).issues];
  }
  throw new Error('expected parseTrainingArguments to throw');
}

describe('parseTrainingArguments', () => {
  it('fills Hugging Face defaults and resolves eval_steps from logging_steps', () => {
    const args = parseTrainingArguments({ output_dir: 'out' }, 'job.yaml');
    expect(args).toMatchObject({
      learning_rate: 5e-5, weight_decay: 0, adam_beta1: 0.9, adam_beta2: 0.999, adam_epsilon: 1e-8, max_grad_norm: 1,
      num_train_epochs: 3, max_steps: -1, lr_scheduler_type: 'linear', per_device_train_batch_size: 8,
      gradient_accumulation_steps: 1, eval_strategy: 'no', eval_steps: 500, save_strategy: 'steps', save_steps: 500,
      logging_steps: 500, save_total_limit: null, metric_for_best_model: null, greater_is_better: null, seed: 42,
    });
    expect(Object.isFrozen(args)).toBe(true);
    expect(parseTrainingArguments({ output_dir: 'o', logging_steps: 7 }, 's').eval_steps).toBe(7);
  });

  it('defaults metric_for_best_model to loss (lower is better) with load_best_model_at_end', () => {
    const args = parseTrainingArguments(
      { output_dir: 'o', load_best_model_at_end: true, eval_strategy: 'epoch', save_strategy: 'epoch' }, 's');
    expect(args.metric_for_best_model).toBe('loss');
    expect(args.greater_is_better).toBe(false);
    const acc = parseTrainingArguments({ output_dir: 'o', metric_for_best_model: 'accuracy' }, 's');
    expect(acc.greater_is_better).toBe(true);
  });

  it('lists every invalid field at once, with the value it got', () => {
    const issues = issuesOf({ learning_rate: -1, per_device_train_batch_size: 0, eval_strategy: 'sometimes', lerning_rate: 1 });
    expect(issues.map((i) => i.field).sort()).toEqual(
      ['eval_strategy', 'learning_rate', 'lerning_rate', 'output_dir', 'per_device_train_batch_size'].sort(),
    );
    expect(issues.find((i) => i.field === 'learning_rate')!.message).toContain('(got -1)');
    expect(issues.find((i) => i.field === 'lerning_rate')!.message).toBe('is not a known training argument');
    expect(() => parseTrainingArguments({}, 'job.yaml')).toThrow(/^job\.yaml: 1 invalid training argument/);
  });

  it("enforces HF's consistency rules", () => {
    expect(issuesOf({ output_dir: 'o', load_best_model_at_end: true, eval_strategy: 'steps', save_strategy: 'epoch' })[0]!.field)
      .toBe('load_best_model_at_end');
    const notMultiple = issuesOf({
      output_dir: 'o', load_best_model_at_end: true, eval_strategy: 'steps', save_strategy: 'steps', eval_steps: 3, save_steps: 10,
    });
    expect(notMultiple[0]).toMatchObject({ field: 'save_steps' });
    expect(notMultiple[0]!.message).toContain('multiple of eval_steps (3)');
    const early = issuesOf({ output_dir: 'o', early_stopping_patience: 2 });
    expect(early.map((i) => i.field)).toEqual(['early_stopping_patience', 'metric_for_best_model']);
  });

  it('serialises with sorted keys for training_args.json', () => {
    const json = trainingArgumentsToJSON(parseTrainingArguments({ output_dir: 'o' }, 's'));
    const keys = Object.keys(json);
    expect(keys).toEqual([...keys].sort());
    expect(json['output_dir']).toBe('o');
    expect(json['eval_steps']).toBe(500);
  });
});
