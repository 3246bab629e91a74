import { afterEach, describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { parseTrainingArguments } from './training-arguments.ts';
import { Trainer } from './trainer.ts';
import { EVAL_SET, makeTrainer, removeTempDirs, tempDir, TRAIN_SET, useCpuBackend } from './testing/harness.ts';
import { TINY_CONFIG, TinyClassifier } from './testing/tiny-model.ts';

afterEach(removeTempDirs);

/** The tiny model with the switch the decoder families have (`DecoderModel.gradientCheckpointing`). */
class CheckpointableTiny extends TinyClassifier {
  gradientCheckpointing = false;
}

describe('gradient_checkpointing (--gradient-checkpointing)', () => {
  it('is off by default, as in transformers', () => {
    expect(parseTrainingArguments({ output_dir: 'x' }, 'test').gradient_checkpointing).toBe(false);
  });

  it("turns the model's layer recomputation on at the start of train()", async () => {
    await useCpuBackend();
    const model = new CheckpointableTiny(TINY_CONFIG);
    const args = parseTrainingArguments({ output_dir: await tempDir(), save_strategy: 'no', max_steps: 1, per_device_train_batch_size: 4, gradient_checkpointing: true }, 'test');
    await new Trainer({ model, args, trainDataset: TRAIN_SET, evalDataset: EVAL_SET }).train();
    expect(model.gradientCheckpointing).toBe(true);
  });

  it('fails naming the flag for a model that cannot recompute its layers', async () => {
    await useCpuBackend();
    const { trainer } = makeTrainer({ output_dir: await tempDir(), gradient_checkpointing: true });
    const failure = await trainer.train().then(() => undefined, (error: unknown) => error);
    expect(errorCode(failure)).toBe('ARGS_INVALID');
    expect((failure as Error).message).toMatch(/gradient_checkpointing \(--gradient-checkpointing\): this model .* cannot recompute its layers/);
  });
});
