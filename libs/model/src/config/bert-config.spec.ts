import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numLabels, parseBertConfig } from './bert-config.ts';
import { ConfigError } from './config-error.ts';
import { readBertConfig, serializeBertConfig, writeBertConfig } from './config-file.ts';

function configError(json: unknown): ConfigError {
  try {
    parseBertConfig(json, 'model/config.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected parseBertConfig to throw');
}

describe('parseBertConfig', () => {
  it("fills Hugging Face's BertConfig defaults", () => {
    expect(parseBertConfig({}, 'c.json')).toEqual({
      model_type: 'bert',
      vocab_size: 30522,
      hidden_size: 768,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 3072,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      max_position_embeddings: 512,
      type_vocab_size: 2,
      initializer_range: 0.02,
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
      position_embedding_type: 'absolute',
      classifier_dropout: null,
    });
  });

  it('keeps unknown keys so they survive a save, and freezes the result', () => {
    const config = parseBertConfig({ transformers_version: '4.44.0', gradient_checkpointing: false }, 'c.json');
    expect(config.transformers_version).toBe('4.44.0');
    expect(JSON.parse(serializeBertConfig(config)).gradient_checkpointing).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lists every invalid field by path, in one CONFIG_INVALID error naming the file', () => {
    const error = configError({
      vocab_size: -1,
      hidden_size: 100,
      num_attention_heads: 12,
      num_hidden_layers: 2.5,
      hidden_act: 'gelu_new',
      attention_probs_dropout_prob: 1.5,
      position_embedding_type: 'relative_key',
      id2label: { zero: 'a' },
      problem_type: 'regression',
    });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('model/config.json');
    const paths = error.issues.map((issue) => issue.path).sort();
    expect(paths).toEqual(
      ['attention_probs_dropout_prob', 'hidden_act', 'hidden_size', 'id2label.zero', 'num_hidden_layers', 'position_embedding_type', 'problem_type', 'vocab_size'].sort(),
    );
    for (const path of paths) expect(error.message).toContain(`${path}:`);
    expect(error.message).toContain('hidden_size 100 is not divisible by num_attention_heads 12');
    expect(error.message).toContain('only "gelu"');
  });

  it('rejects a pad_token_id outside the vocabulary', () => {
    expect(configError({ vocab_size: 10, pad_token_id: 10 }).issues).toEqual([
      { path: 'pad_token_id', message: 'pad_token_id 10 is not below vocab_size 10' },
    ]);
  });

  it('rejects id2label ids that are not 0..n-1', () => {
    const error = configError({ id2label: { '0': 'a', '2': 'b' } });
    expect(error.issues.map((i) => i.path)).toEqual(['id2label']);
    expect(error.message).toContain('got [0, 2]');
  });

  it('rejects label2id that disagrees with id2label, both ways', () => {
    const error = configError({ id2label: { '0': 'neg', '1': 'pos' }, label2id: { neg: 1, pos: 1, other: 5 } });
    expect(error.issues).toEqual([
      { path: 'label2id.neg', message: 'id2label maps 0 to "neg" but label2id maps "neg" to 1' },
      { path: 'label2id.other', message: 'label2id maps "other" to 5, which id2label does not have' },
    ]);
  });

  it('rejects num_labels that disagrees with id2label', () => {
    expect(configError({ id2label: { '0': 'a' }, num_labels: 3 }).issues.map((i) => i.path)).toEqual(['num_labels']);
  });

  it('rejects a config that is not an object', () => {
    expect(configError([1]).issues.map((i) => i.path)).toEqual(['(root)']);
  });
});

describe('numLabels', () => {
  it('counts id2label, else num_labels, else 2', () => {
    expect(numLabels(parseBertConfig({ id2label: { '0': 'a', '1': 'b', '2': 'c' } }, 'c.json'))).toBe(3);
    expect(numLabels(parseBertConfig({ num_labels: 7 }, 'c.json'))).toBe(7);
    expect(numLabels(parseBertConfig({}, 'c.json'))).toBe(2);
  });
});

describe('config.json files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serializes as Hugging Face does: sorted keys, 2-space indent, trailing newline', () => {
    const text = serializeBertConfig(parseBertConfig({ id2label: { '0': 'x', '1': 'y' }, label2id: { y: 1, x: 0 } }, 'c.json'));
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "attention_probs_dropout_prob": 0.1,');
    const keys = Object.keys(JSON.parse(text));
    expect(keys).toEqual([...keys].sort());
    expect(Object.keys(JSON.parse(text).label2id)).toEqual(['x', 'y']);
  });

  it('writes and reads back an equal config', async () => {
    const file = join(dir, 'out', 'config.json');
    const config = parseBertConfig({ hidden_size: 32, num_attention_heads: 4, architectures: ['BertForTokenClassification'] }, 'c.json');
    await writeBertConfig(file, config);
    expect(await readBertConfig(file)).toEqual(config);
    expect(await readFile(file, 'utf8')).toBe(serializeBertConfig(config));
  });

  it('reports unreadable, non-JSON and invalid files with distinct codes naming the file', async () => {
    const missing = join(dir, 'missing.json');
    await expect(readBertConfig(missing)).rejects.toMatchObject({ code: 'CONFIG_READ_FAILED', file: missing });
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"hidden_size": ');
    await expect(readBertConfig(broken)).rejects.toMatchObject({ code: 'CONFIG_NOT_JSON', file: broken });
    const invalid = join(dir, 'invalid.json');
    await writeFile(invalid, '{"hidden_size": "big"}');
    await expect(readBertConfig(invalid)).rejects.toMatchObject({ code: 'CONFIG_INVALID', file: invalid, issues: [expect.objectContaining({ path: 'hidden_size' })] });
  });
});
