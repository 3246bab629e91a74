import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BERT_PRESETS, castSafetensorsModel, createModel, loadPretrained, parseBertConfig, parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors, type TrainableModel } from '@tunefleet/model';
import { writeModelDir } from './checkpoint-writer.ts';
import { Trainer } from './trainer.ts';
import { parseTrainingArguments } from './training-arguments.ts';
import { EVAL_SET, TRAIN_SET, makeTrainer, maxAbsDifference, removeTempDirs, tempDir, useCpuBackend } from './testing/harness.ts';

beforeAll(useCpuBackend);
afterEach(removeTempDirs);

/** The dtype of every tensor in a safetensors file's header, and its data bytes. */
async function headerDtypes(file: string): Promise<{ dtypes: Set<string>; dataBytes: number }> {
  const bytes = await readFile(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, { dtype?: string }>;
  const dtypes = new Set(Object.entries(header).filter(([name]) => name !== '__metadata__').map(([, entry]) => entry.dtype!));
  return { dtypes, dataBytes: bytes.byteLength - 8 - length };
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8'));
}

async function weightsOf(file: string): Promise<Map<string, Float32Array>> {
  return new Map([...(await readSafetensors(file)).tensors].map(([name, tensor]) => [name, tensor.data]));
}

/** `weights` rounded to `dtype` and back, through the safetensors writer and reader. */
function rounded(weights: Map<string, Float32Array>, dtype: 'BF16' | 'F16'): Map<string, Float32Array> {
  const tensors = new Map([...weights].map(([name, data]) => [name, { shape: [data.length], data }]));
  return new Map([...parseSafetensors(serializeSafetensors(tensors, {}, dtype), 'mem').tensors].map(([name, tensor]) => [name, tensor.data]));
}

const SAVING = { save_strategy: 'steps' as const, save_steps: 4, logging_steps: 100 };

describe('save_dtype', () => {
  it('defaults to fp32 and accepts only fp32, bf16 and f16', () => {
    expect(parseTrainingArguments({ output_dir: 'o' }, 't').save_dtype).toBe('fp32');
    expect(parseTrainingArguments({ output_dir: 'o', save_dtype: 'bf16' }, 't').save_dtype).toBe('bf16');
    expect(() => parseTrainingArguments({ output_dir: 'o', save_dtype: 'fp8' }, 'flags')).toThrow(/save_dtype/);
  });

  for (const [saveDtype, dtype, torchDtype] of [['bf16', 'BF16', 'bfloat16'], ['f16', 'F16', 'float16']] as const) {
    it(`${saveDtype}: checkpoints and the final model hold ${dtype} weights and torch_dtype ${torchDtype}; the optimizer state stays float32, bit for bit`, async () => {
      const fp32Dir = await tempDir();
      const halfDir = await tempDir();
      const fp32 = makeTrainer({ output_dir: fp32Dir, ...SAVING });
      const half = makeTrainer({ output_dir: halfDir, ...SAVING, save_dtype: saveDtype });
      await fp32.trainer.train();
      await half.trainer.train();
      // Saving never changes training: both runs end on the same float32 weights.
      expect(maxAbsDifference(fp32.model.snapshot(), half.model.snapshot())).toBe(0);
      for (const dir of [join(halfDir, 'checkpoint-4'), join(halfDir, 'checkpoint-8'), halfDir]) {
        const { dtypes, dataBytes } = await headerDtypes(join(dir, 'model.safetensors'));
        expect([...dtypes]).toEqual([dtype]);
        expect(dataBytes).toBe((await headerDtypes(join(fp32Dir, dir.slice(halfDir.length), 'model.safetensors'))).dataBytes / 2);
        expect((await readJson(join(dir, 'config.json'))).torch_dtype).toBe(torchDtype);
        expect((await readJson(join(dir, 'training_args.json'))).save_dtype).toBe(saveDtype);
        // The weights are the float32 run's, rounded to nearest even.
        const fp32Weights = await weightsOf(join(fp32Dir, dir.slice(halfDir.length), 'model.safetensors'));
        expect(maxAbsDifference(await weightsOf(join(dir, 'model.safetensors')), rounded(fp32Weights, dtype))).toBe(0);
        expect(maxAbsDifference(await weightsOf(join(dir, 'model.safetensors')), fp32Weights)).toBeGreaterThan(0);
      }
      for (const step of ['checkpoint-4', 'checkpoint-8']) {
        expect([...(await headerDtypes(join(halfDir, step, 'optimizer.safetensors'))).dtypes]).toEqual(['F32']);
        const ours = await readFile(join(halfDir, step, 'optimizer.safetensors'));
        expect(ours.equals(await readFile(join(fp32Dir, step, 'optimizer.safetensors')))).toBe(true);
      }
      // fp32 (the default) writes what it always wrote: no torch_dtype, F32 weights.
      expect((await readJson(join(fp32Dir, 'config.json'))).torch_dtype).toBeUndefined();
      expect([...(await headerDtypes(join(fp32Dir, 'model.safetensors'))).dtypes]).toEqual(['F32']);
    });
  }

  it('resuming from a bf16 checkpoint continues from the rounded weights with the float32 optimizer state as saved', async () => {
    const fp32Dir = await tempDir();
    const bf16Dir = await tempDir();
    const full = makeTrainer({ output_dir: fp32Dir, ...SAVING });
    await full.trainer.train();
    await makeTrainer({ output_dir: bf16Dir, ...SAVING, save_dtype: 'bf16' }).trainer.train();
    // The reference: the float32 checkpoint with only its weights rounded to bf16.
    const reference = join(await tempDir(), 'checkpoint-4');
    await cp(join(fp32Dir, 'checkpoint-4'), reference, { recursive: true });
    await castSafetensorsModel(reference, 'BF16');

    const fromBf16 = makeTrainer({ output_dir: await tempDir(), save_dtype: 'bf16', resume_from_checkpoint: join(bf16Dir, 'checkpoint-4') });
    const fromReference = makeTrainer({ output_dir: await tempDir(), resume_from_checkpoint: reference });
    expect((await fromBf16.trainer.train()).globalStep).toBe(8);
    await fromReference.trainer.train();
    expect(maxAbsDifference(fromBf16.model.snapshot(), fromReference.model.snapshot())).toBe(0);
    // Close to the uninterrupted float32 run, not equal to it: the weights lost their low bits once.
    const drift = maxAbsDifference(fromBf16.model.snapshot(), full.model.snapshot());
    expect(drift).toBeGreaterThan(0);
    expect(drift).toBeLessThan(0.05);
  });

  it('a model that saves only adapter_model.safetensors (LoRA) gets its adapter cast, and fp32 leaves it as it is', async () => {
    const adapterOnly = {
      save: (dir: string) => writeSafetensors(join(dir, 'adapter_model.safetensors'), new Map([['lora_A.weight', { shape: [2], data: new Float32Array([0.1, 3]) }]])),
    } as unknown as TrainableModel;
    for (const [saveDtype, dtype] of [['fp32', 'F32'], ['bf16', 'BF16']] as const) {
      const dir = await tempDir();
      await writeModelDir(dir, adapterOnly, parseTrainingArguments({ output_dir: dir, save_dtype: saveDtype }, 'test'), undefined);
      expect([...(await headerDtypes(join(dir, 'adapter_model.safetensors'))).dtypes]).toEqual([dtype]);
    }
  });

  it('a BERT saved in bf16 loads back as float32 and trains on; saving it in fp32 says torch_dtype float32', async () => {
    const config = parseBertConfig(
      { ...BERT_PRESETS.tiny, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37, vocab_size: 16, max_position_embeddings: 16 },
      '<test>',
    );
    const model = createModel(config, 'sequence-classification', { seed: 7 });
    const bf16Dir = await tempDir();
    const args = { learning_rate: 1e-3, logging_steps: 100, per_device_train_batch_size: 4, num_train_epochs: 1 };
    await new Trainer({ model, args: parseTrainingArguments({ ...args, output_dir: bf16Dir, save_dtype: 'bf16' }, 'test'), trainDataset: TRAIN_SET, evalDataset: EVAL_SET }).train();
    const trained = new Map([...model.parameters].map(([name, variable]) => [name, Float32Array.from(variable.dataSync())]));
    expect([...(await headerDtypes(join(bf16Dir, 'model.safetensors'))).dtypes]).toEqual(['BF16']);
    expect((await readJson(join(bf16Dir, 'config.json'))).torch_dtype).toBe('bfloat16');

    const { model: loaded } = await loadPretrained(bf16Dir, { task: 'sequence-classification' });
    const loadedWeights = new Map([...loaded.parameters].map(([name, variable]) => [name, Float32Array.from(variable.dataSync())]));
    expect([...loaded.parameters.values()].every((variable) => variable.dtype === 'float32')).toBe(true);
    expect(maxAbsDifference(loadedWeights, rounded(trained, 'BF16'))).toBe(0);

    const fp32Dir = await tempDir();
    const again = new Trainer({ model: loaded, args: parseTrainingArguments({ ...args, output_dir: fp32Dir }, 'test'), trainDataset: TRAIN_SET, evalDataset: EVAL_SET });
    const result = await again.train();
    expect(Number.isFinite(result.metrics.train_loss)).toBe(true);
    expect([...(await headerDtypes(join(fp32Dir, 'model.safetensors'))).dtypes]).toEqual(['F32']);
    expect((await readJson(join(fp32Dir, 'config.json'))).torch_dtype).toBe('float32');
    model.dispose();
    loaded.dispose();
  });
});
