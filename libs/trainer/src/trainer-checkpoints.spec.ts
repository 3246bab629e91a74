import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { classificationComputeMetrics } from './classification-metrics.ts';
import { readSafetensors } from '@tunefleet/model';
import { EVAL_SET, makeTrainer, maxAbsDifference, removeTempDirs, scriptedMetric, tempDir, useCpuBackend } from './testing/harness.ts';

beforeAll(useCpuBackend);
afterEach(removeTempDirs);

async function checkpointNames(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith('checkpoint-'));
  return names.sort((a, b) => Number(a.slice('checkpoint-'.length)) - Number(b.slice('checkpoint-'.length)));
}

async function readJson(file: string): Promise<any> {
  return JSON.parse(await readFile(file, 'utf8'));
}

async function weightsOf(dir: string): Promise<Map<string, Float32Array>> {
  return new Map([...(await readSafetensors(join(dir, 'model.safetensors'))).tensors].map(([k, v]) => [k, v.data]));
}

describe('Trainer evaluation and save strategies', () => {
  it("'steps': evaluates every eval_steps, saves every save_steps and at the end, rotates by save_total_limit", async () => {
    const out = await tempDir();
    const saved: string[] = [];
    // 32 examples / batch 4 = 8 steps: saves at 3, 6 and the final step 8; the newest 2 are kept.
    const { trainer } = makeTrainer(
      { output_dir: out, eval_strategy: 'steps', eval_steps: 2, save_strategy: 'steps', save_steps: 3, save_total_limit: 2 },
      {
        saveExtras: (dir) => writeFile(join(dir, 'vocab.txt'), '[PAD]\n'),
        callbacks: [{ onSave: (dir) => void saved.push(basename(dir)) }],
      },
    );
    await trainer.train();
    expect(saved).toEqual(['checkpoint-3', 'checkpoint-6', 'checkpoint-8']);
    expect(await checkpointNames(out)).toEqual(['checkpoint-6', 'checkpoint-8']);
    expect(trainer.state.logHistory.filter((e) => 'eval_loss' in e).map((e) => e['step'])).toEqual([2, 4, 6, 8]);
    expect((await readdir(join(out, 'checkpoint-6'))).sort()).toEqual([
      'config.json', 'model.safetensors', 'optimizer.safetensors', 'scheduler.json', 'trainer_state.json', 'training_args.json', 'vocab.txt',
    ]);
    expect((await readJson(join(out, 'checkpoint-6', 'scheduler.json'))).step).toBe(6);
    expect((await readJson(join(out, 'checkpoint-6', 'trainer_state.json'))).global_step).toBe(6);
  });

  it("'epoch': evaluates and saves once per epoch", async () => {
    const out = await tempDir();
    const { trainer } = makeTrainer({ output_dir: out, eval_strategy: 'epoch', save_strategy: 'epoch', num_train_epochs: 2 });
    await trainer.train();
    expect(await checkpointNames(out)).toEqual(['checkpoint-8', 'checkpoint-16']);
    expect(trainer.state.logHistory.filter((e) => 'eval_loss' in e).map((e) => [e['step'], e['epoch']])).toEqual([[8, 1], [16, 2]]);
  });

  it('load_best_model_at_end restores the best checkpoint and rotation never deletes it', async () => {
    const out = await tempDir();
    const { trainer, model } = makeTrainer(
      {
        output_dir: out, eval_strategy: 'steps', eval_steps: 2, save_strategy: 'steps', save_steps: 2, save_total_limit: 2,
        load_best_model_at_end: true, metric_for_best_model: 'score',
      },
      { computeMetrics: scriptedMetric('score', [0.1, 0.9, 0.3, 0.2]) },
    );
    await trainer.train();
    // Saves at 2, 4, 6, 8; the best (step 4, score 0.9) survives beside the newest.
    expect(await checkpointNames(out)).toEqual(['checkpoint-4', 'checkpoint-8']);
    expect(trainer.state.bestMetric).toBe(0.9);
    expect(trainer.state.bestModelCheckpoint).toBe(join(out, 'checkpoint-4'));
    const best = await weightsOf(join(out, 'checkpoint-4'));
    expect(maxAbsDifference(model.snapshot(), best)).toBe(0);
    expect(maxAbsDifference(await weightsOf(join(out, 'checkpoint-8')), best)).toBeGreaterThan(1e-4);
    expect(maxAbsDifference(await weightsOf(out), best)).toBe(0); // the final model is the best one
  });

  it("'epoch' strategy: a best score at the last epoch points at the last checkpoint", async () => {
    // Regression: the final step is saved (end of training) before its epoch-end evaluation runs.
    const out = await tempDir();
    const { trainer, model } = makeTrainer(
      {
        output_dir: out, eval_strategy: 'epoch', save_strategy: 'epoch', num_train_epochs: 2, save_total_limit: 2,
        load_best_model_at_end: true, metric_for_best_model: 'score',
      },
      { computeMetrics: scriptedMetric('score', [0.5, 0.8]) },
    );
    await trainer.train();
    expect(trainer.state.bestMetric).toBe(0.8);
    expect(trainer.state.bestModelCheckpoint).toBe(join(out, 'checkpoint-16'));
    expect(maxAbsDifference(model.snapshot(), await weightsOf(join(out, 'checkpoint-16')))).toBe(0);
  });

  it('early stopping stops after `patience` evaluations without an improvement beyond the threshold', async () => {
    const out = await tempDir();
    const { trainer } = makeTrainer(
      {
        output_dir: out, eval_strategy: 'steps', eval_steps: 1, metric_for_best_model: 'score',
        early_stopping_patience: 2, early_stopping_threshold: 0.05, num_train_epochs: 3,
      },
      { computeMetrics: scriptedMetric('score', [0.5, 0.6, 0.62, 0.61, 0.9]) },
    );
    const result = await trainer.train();
    // 0.62 beats 0.6 by less than the threshold (patience 1), 0.61 does not beat it (patience 2): stop at step 4.
    expect(result.globalStep).toBe(4);
    expect(trainer.state.bestMetric).toBe(0.62);
    const state = await readJson(join(out, 'trainer_state.json'));
    expect(state.stateful_callbacks.EarlyStoppingCallback.attributes.early_stopping_patience_counter).toBe(2);
  });
});

describe('Trainer output files', () => {
  it("writes trainer_state.json with HF's keys, log_history entries in HF's shape, and results files", async () => {
    const out = await tempDir();
    const { trainer } = makeTrainer(
      { output_dir: out, eval_strategy: 'steps', eval_steps: 4, logging_steps: 4, logging_first_step: true },
      { computeMetrics: classificationComputeMetrics(2) },
    );
    const result = await trainer.train();
    const state = await readJson(join(out, 'trainer_state.json'));
    expect(Object.keys(state).sort()).toEqual([
      'best_metric', 'best_model_checkpoint', 'epoch', 'eval_steps', 'global_step', 'is_hyper_param_search',
      'is_local_process_zero', 'is_world_process_zero', 'log_history', 'logging_steps', 'max_steps', 'num_train_epochs',
      'save_steps', 'total_flos', 'train_batch_size', 'trial_name', 'trial_params',
    ]);
    expect(state).toMatchObject({ global_step: 8, max_steps: 8, epoch: 1, logging_steps: 4, eval_steps: 4, train_batch_size: 4 });
    const history: Record<string, number>[] = state.log_history;
    expect(history.filter((e) => 'loss' in e).map((e) => e['step'])).toEqual([1, 4, 8]);
    expect(Object.keys(history[0]!)).toEqual(['loss', 'grad_norm', 'learning_rate', 'epoch', 'step']);
    const evalEntry = history.find((e) => 'eval_loss' in e)!;
    expect(Object.keys(evalEntry)).toEqual(expect.arrayContaining(['eval_loss', 'eval_accuracy', 'eval_f1', 'eval_runtime', 'eval_samples_per_second', 'eval_steps_per_second', 'epoch', 'step']));
    expect(Object.keys(history.at(-1)!)).toEqual([
      'train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'total_flos', 'train_loss', 'epoch', 'step',
    ]);
    expect(result.metrics['train_loss']).toBe(result.trainingLoss);
    expect((await readdir(out)).sort()).toEqual([
      'all_results.json', 'config.json', 'model.safetensors', 'train_results.json', 'trainer_state.json', 'training_args.json',
    ]);
    const metrics = await trainer.evaluate();
    expect(metrics['eval_accuracy']).toBeGreaterThanOrEqual(0);
    expect((await readJson(join(out, 'eval_results.json'))).eval_loss).toBe(metrics['eval_loss']);
    expect((await readJson(join(out, 'training_args.json'))).learning_rate).toBe(0.05);
  });

  it('refuses an output_dir holding a previous run unless resuming or overwriting', async () => {
    const out = await tempDir();
    await makeTrainer({ output_dir: out }).trainer.train();
    await expect(makeTrainer({ output_dir: out }).trainer.train()).rejects.toMatchObject({ code: 'OUTPUT_DIR_NOT_EMPTY' });
    await expect(makeTrainer({ output_dir: out, overwrite_output_dir: true }).trainer.train()).resolves.toMatchObject({ globalStep: 8 });
  });

  it('predict returns logits, labels and metrics for every example in order; only rank 0 writes', async () => {
    const out = await tempDir();
    const { trainer } = makeTrainer({ output_dir: out }, { gradientSync: { rank: 1, worldSize: 2, allReduce: async () => {} } });
    await trainer.train();
    expect(await readdir(out).catch(() => [])).toEqual([]);
    const { trainer: predictor } = makeTrainer({ output_dir: out }, { computeMetrics: classificationComputeMetrics(2) });
    const prediction = await predictor.predict(EVAL_SET);
    expect(prediction.shape).toEqual([12, 2]);
    expect(prediction.logits).toHaveLength(24);
    expect(prediction.labelIds).toHaveLength(12);
    expect(Object.keys(prediction.metrics)).toEqual(expect.arrayContaining(['test_loss', 'test_accuracy', 'test_runtime']));
  });
});
