import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../config/index.ts';
import { FIXTURES_DIR } from '../layers/golden-check.ts';
import { createModel, loadPretrained } from '../pretrained.ts';
import { readBatch } from '../test-support.ts';
import { robertaPositionIds } from './position-ids.ts';

const SEQ_DIR = join(FIXTURES_DIR, 'golden-roberta', 'sequence-classification');
let work: string;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  work = await mkdtemp(join(tmpdir(), 'tunefleet-roberta-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const logitsOf = async (dir: string) => {
  const { model } = await loadPretrained(dir, { task: 'sequence-classification' });
  const batch = await readBatch(join(SEQ_DIR, 'inputs.json'));
  const logits = tf.tidy(() => Array.from(model.forward(batch, { training: false }).dataSync()));
  model.dispose();
  return logits;
};

describe('RoBERTa and XLM-RoBERTa', () => {
  it('position ids count real tokens from pad + 1; padding keeps pad', () => {
    const ids = Int32Array.from([0, 7, 2, 1, 1, 0, 2, 2, 9, 2]);
    expect(Array.from(robertaPositionIds({ batchSize: 2, seqLength: 5, inputIds: ids }, 1))).toEqual([2, 3, 4, 1, 1, 2, 3, 4, 5, 6]);
  });

  it('save writes RobertaFor* with the config fields; loading it back gives the same logits', async () => {
    const { model } = await loadPretrained(SEQ_DIR, { task: 'sequence-classification' });
    await model.save(join(work, 'saved'));
    model.dispose();
    const config = JSON.parse(await readFile(join(work, 'saved', 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'roberta', architectures: ['RobertaForSequenceClassification'], pad_token_id: 1, bos_token_id: 0, eos_token_id: 2, layer_norm_eps: 1e-5 });
    expect(await logitsOf(join(work, 'saved'))).toEqual(await logitsOf(SEQ_DIR));
  });

  it('XLM-R is the same modules: model_type xlm-roberta loads the weights and writes XLMRoberta* classes', async () => {
    const dir = join(work, 'xlmr');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    const config = JSON.parse(await readFile(join(SEQ_DIR, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'xlm-roberta', architectures: ['XLMRobertaForSequenceClassification'] }));
    await copyFile(join(SEQ_DIR, 'model.safetensors'), join(dir, 'model.safetensors'));
    expect(await logitsOf(dir)).toEqual(await logitsOf(SEQ_DIR));
    const { model } = await loadPretrained(dir, { task: 'masked-lm', log: () => undefined });
    expect((model as { architecture: string }).architecture).toBe('XLMRobertaForMaskedLM');
    model.dispose();
  });

  it('initialises as Hugging Face: padding rows of the word and position tables are zero; a too-long batch names the limit', () => {
    const config = parseModelConfig({ model_type: 'roberta', vocab_size: 40, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 6 }, 'c.json');
    const model = createModel(config, 'token-classification', { seed: 1 });
    for (const table of ['word_embeddings', 'position_embeddings']) {
      const rows = model.parameters.get(`roberta.embeddings.${table}.weight`)!.arraySync() as number[][];
      expect(rows[1].every((v) => v === 0)).toBe(true);
      expect(rows[2].some((v) => v !== 0)).toBe(true);
    }
    const batch = { batchSize: 1, seqLength: 5, inputIds: new Int32Array(5), attentionMask: new Int32Array(5).fill(1), tokenTypeIds: new Int32Array(5) };
    expect(() => model.forward(batch, { training: false })).toThrow(/seqLength 5 exceeds 4 \(max_position_embeddings 6 - pad_token_id 1 - 1/);
    model.dispose();
  });
});

describe('config.json dispatch', () => {
  it('picks the family from model_type, else architectures[0], else BERT', () => {
    expect(parseModelConfig({ model_type: 'distilbert' }, 'c').model_type).toBe('distilbert');
    expect(parseModelConfig({ architectures: ['XLMRobertaForMaskedLM'] }, 'c').model_type).toBe('xlm-roberta');
    expect(parseModelConfig({ architectures: ['RobertaForMaskedLM'] }, 'c')).toMatchObject({ model_type: 'roberta', pad_token_id: 1, vocab_size: 50265 });
    expect(parseModelConfig({}, 'c').model_type).toBe('bert');
  });

  it('an unsupported model_type or architecture is CONFIG_UNSUPPORTED_MODEL naming it; so is a class of another family', () => {
    expect(() => parseModelConfig({ model_type: 'gpt_neox', architectures: ['GPTNeoXForCausalLM'] }, 'm/config.json')).toThrow(
      expect.objectContaining({ code: 'CONFIG_UNSUPPORTED_MODEL', message: expect.stringContaining('model_type "gpt_neox" (architectures[0] "GPTNeoXForCausalLM") is not supported') }),
    );
    expect(() => parseModelConfig({ architectures: ['AlbertForMaskedLM'] }, 'm/config.json')).toThrow(expect.objectContaining({ code: 'CONFIG_UNSUPPORTED_MODEL', message: expect.stringContaining('"AlbertForMaskedLM"') }));
    expect(() => parseModelConfig({ model_type: 'bert', architectures: ['RobertaForMaskedLM'] }, 'm/config.json')).toThrow(/is a roberta class but model_type is "bert"/);
  });

  it('DistilBERT fields are validated with their own names, every problem at once', () => {
    expect(() => parseModelConfig({ model_type: 'distilbert', dim: 30, n_heads: 4, sinusoidal_pos_embds: true, activation: 'relu' }, 'd.json')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', issues: expect.arrayContaining([expect.objectContaining({ path: 'dim' }), expect.objectContaining({ path: 'sinusoidal_pos_embds' }), expect.objectContaining({ path: 'activation' })]) }),
    );
  });
});
