import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GradientSync } from './gradient-sync.ts';
import { EVAL_SET, removeTempDirs, tempDir, TRAIN_SET, useCpuBackend } from './testing/harness.ts';
import { TINY_CONFIG, TinyClassifier } from './testing/tiny-model.ts';
import { Trainer } from './trainer.ts';
import type { StepSample, TrainingObserver } from './trainer-observer.ts';
import { parseTrainingArguments, type TrainingArgumentsInput } from './training-arguments.ts';

beforeAll(useCpuBackend);
afterEach(removeTempDirs);

class RecordingObserver implements TrainingObserver {
  readonly begins: [number, number][] = [];
  readonly steps: StepSample[] = [];
  readonly evaluations: Record<string, number>[] = [];
  readonly checkpoints: number[] = [];
  onTrainBegin(step: number, maxSteps: number): void {
    this.begins.push([step, maxSteps]);
  }
  onStep(sample: StepSample): void {
    this.steps.push(sample);
  }
  onEvaluate(metrics: Readonly<Record<string, number>>): void {
    this.evaluations.push({ ...metrics });
  }
  onCheckpoint(seconds: number): void {
    this.checkpoints.push(seconds);
  }
}

/** A one-rank sync that takes a known time, so the step time can be told apart from it. */
class SlowSync implements GradientSync {
  readonly rank = 0;
  readonly worldSize = 2;
  async allReduce(buffer: Float32Array): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 30));
    for (let i = 0; i < buffer.length; i++) buffer[i]! *= 2;
  }
}

async function train(args: Partial<TrainingArgumentsInput>, observer: TrainingObserver, gradientSync?: GradientSync): Promise<Trainer> {
  const parsed = parseTrainingArguments(
    { output_dir: await tempDir(), learning_rate: 0.05, save_strategy: 'no', logging_steps: 1, per_device_train_batch_size: 4, num_train_epochs: 1, ...args },
    'test',
  );
  const trainer = new Trainer({ model: new TinyClassifier(TINY_CONFIG), args: parsed, trainDataset: TRAIN_SET, evalDataset: EVAL_SET, observer, ...(gradientSync ? { gradientSync } : {}) });
  await trainer.train();
  return trainer;
}

describe('TrainingObserver', () => {
  it('sees every optimizer step with its loss, learning rate, grad norm, examples and tokens', async () => {
    const observer = new RecordingObserver();
    const trainer = await train({ gradient_accumulation_steps: 2, warmup_steps: 2 }, observer);
    // 32 examples / batch 4 / accumulation 2 = 4 steps
    expect(observer.begins).toEqual([[0, 4]]);
    expect(observer.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    const logged = trainer.state.logHistory.filter((e) => 'loss' in e);
    observer.steps.forEach((sample, i) => {
      expect(sample.maxSteps).toBe(4);
      expect(sample.loss).toBeCloseTo(logged[i]!['loss']!, 6);
      expect(sample.gradNorm).toBeCloseTo(logged[i]!['grad_norm']!, 6);
      expect(sample.samples).toBe(8);
      expect(sample.tokens).toBeGreaterThanOrEqual(8);
      expect(sample.stepSeconds).toBeGreaterThan(0);
      expect(sample.syncSeconds).toBe(0); // one process: no allReduce at all
    });
    // The learning rate the step used: warmup starts at 0, as HF's first step does.
    expect(observer.steps[0]!.learningRate).toBe(0);
    expect(observer.steps[1]!.learningRate).toBeCloseTo(0.025, 10);
    expect(observer.steps.at(-1)!.epoch).toBe(1);
    expect(observer.checkpoints).toEqual([]);
  });

  it('separates the gradient sync from the step time, and reports evaluations and checkpoints', async () => {
    const observer = new RecordingObserver();
    await train({ max_steps: 2, eval_strategy: 'steps', eval_steps: 1, save_strategy: 'steps', save_steps: 1 }, observer, new SlowSync());
    expect(observer.steps).toHaveLength(2);
    for (const sample of observer.steps) expect(sample.syncSeconds).toBeGreaterThanOrEqual(0.025);
    expect(observer.evaluations).toHaveLength(2);
    expect(Object.keys(observer.evaluations[0]!)).toContain('eval_loss');
    expect(observer.checkpoints).toHaveLength(2);
    for (const seconds of observer.checkpoints) expect(seconds).toBeGreaterThan(0);
  });
});
