// Fuzzing what a user or a peer hands tunefleet (issue 10): safetensors bytes, config.json, data
// rows (CSV, TSV, JSONL) and YAML job specs. Every input is either accepted or refused with a
// TunefleetError carrying a code: never a crash, a bare TypeError or a hang.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TunefleetError } from '@tunefleet/core';
import { readExamples } from '@tunefleet/data';
import { parseModelConfig, parseSafetensors, serializeSafetensors } from '@tunefleet/model';
import { parseJobSpecYaml } from '@tunefleet/coordinator';

/** `action` returns, or throws a TunefleetError with a code and a message. */
async function acceptsOrRefuses(action: () => unknown): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof TunefleetError)) throw new Error(`not a TunefleetError: ${(error as Error)?.stack ?? String(error)}`);
    expect(error.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(error.message.length).toBeGreaterThan(10);
  }
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tunefleet-fuzz-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const VALID_SAFETENSORS = serializeSafetensors(
  new Map([
    ['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ['b.bias', { shape: [3], data: Float32Array.from([7, 8, 9]) }],
  ]),
  { format: 'pt' },
);

describe('safetensors bytes, fuzzed', () => {
  it('arbitrary bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), (bytes) => acceptsOrRefuses(() => parseSafetensors(bytes, 'fuzz.safetensors'))), { numRuns: 300 });
  });

  it('a valid file with bytes overwritten, cut or appended', async () => {
    const mutation = fc.record({
      edits: fc.array(fc.tuple(fc.nat(VALID_SAFETENSORS.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.nat(VALID_SAFETENSORS.length),
      extra: fc.uint8Array({ maxLength: 16 }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, ({ edits, cut, extra }) => {
        const bytes = Uint8Array.from(VALID_SAFETENSORS);
        for (const [at, value] of edits) bytes[at] = value;
        const mutated = Buffer.concat([bytes.subarray(0, cut), extra]);
        return acceptsOrRefuses(() => parseSafetensors(mutated, 'fuzz.safetensors'));
      }),
      { numRuns: 400 },
    );
  });

  it('a header of arbitrary JSON', async () => {
    const header = fc.dictionary(fc.oneof(fc.constantFrom('w', '__metadata__'), fc.string({ maxLength: 6 })), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
    const entry = fc.record({ dtype: fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'F64', 'U8', 'x'), shape: fc.array(fc.integer({ min: -2, max: 5 }), { maxLength: 3 }), data_offsets: fc.array(fc.integer({ min: -4, max: 64 }), { maxLength: 3 }) });
    await fc.assert(
      fc.asyncProperty(fc.oneof(header, fc.dictionary(fc.string({ maxLength: 4 }), entry, { maxKeys: 3 })), fc.uint8Array({ maxLength: 64 }), (json, data) => {
        const text = Buffer.from(JSON.stringify(json), 'utf8');
        const prefix = Buffer.alloc(8);
        prefix.writeBigUInt64LE(BigInt(text.length));
        return acceptsOrRefuses(() => parseSafetensors(Buffer.concat([prefix, text, data]), 'fuzz.safetensors'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('config.json, fuzzed', () => {
  const BASE = { model_type: 'bert', hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 2, intermediate_size: 37, vocab_size: 100, max_position_embeddings: 32 };
  const KEYS = [...Object.keys(BASE), 'architectures', 'id2label', 'label2id', 'pad_token_id', 'type_vocab_size', 'hidden_act', 'layer_norm_eps', 'num_labels', 'dim', 'n_layers'];

  it('arbitrary JSON values', async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), (json) => acceptsOrRefuses(() => parseModelConfig(json, 'config.json'))), { numRuns: 300 });
  });

  it('a valid config with fields replaced by arbitrary values', async () => {
    const model = fc.constantFrom('bert', 'distilbert', 'roberta', 'xlm-roberta', 'gpt2', undefined);
    const replaced = fc.dictionary(fc.constantFrom(...KEYS), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.integer({ min: -3, max: 600 }), fc.double()), { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(model, replaced, (modelType, fields) => acceptsOrRefuses(() => parseModelConfig({ ...BASE, model_type: modelType, ...fields }, 'config.json'))),
      { numRuns: 400 },
    );
  });
});

describe('data rows, fuzzed', () => {
  // Characters that matter to the readers: delimiters, quotes, newlines, JSON punctuation, digits, a BOM, a non-BMP letter.
  const char = fc.constantFrom(...'ab ,\t\n\r"\'{}[]:01-\\'.split(''), '\uFEFF', '😀', 'label', 'text', 'sentence', 'null', 'true');
  const body = fc.array(char, { maxLength: 80 }).map((chars) => chars.join(''));
  const header: Record<string, string> = { csv: 'text,label\n', tsv: 'text\tlabel\n', jsonl: '' };
  const jsonRow = fc.record({ text: fc.oneof(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })), label: fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] });

  for (const format of ['csv', 'tsv', 'jsonl'] as const) {
    it(`${format}: arbitrary text after a header, with and without skip_bad_rows`, async () => {
      let index = 0;
      await fc.assert(
        fc.asyncProperty(body, fc.boolean(), async (text, skipBadRows) => {
          const file = join(work, `rows-${index++}.${format}`);
          await writeFile(file, header[format] + text);
          await acceptsOrRefuses(() => readExamples(file, { skipBadRows }));
        }),
        { numRuns: 120 },
      );
    });
  }

  it('jsonl: rows of arbitrary JSON objects', async () => {
    let index = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(jsonRow, fc.jsonValue({ maxDepth: 2 })), { maxLength: 6 }), async (rows) => {
        const file = join(work, `objects-${index++}.jsonl`);
        await writeFile(file, rows.map((row) => JSON.stringify(row)).join('\n'));
        await acceptsOrRefuses(() => readExamples(file));
      }),
      { numRuns: 120 },
    );
  });
});

describe('YAML job specs, fuzzed', () => {
  const VALID = {
    name: 'fuzz-job',
    model_name_or_path: 'models/tiny',
    task: 'sequence-classification',
    train_file: 'data/train.tsv',
    world_size: 2,
    training_arguments: { output_dir: 'runs/fuzz', per_device_train_batch_size: 4 },
  };

  it('arbitrary text', async () => {
    const yamlish = fc.array(fc.constantFrom(...'ab :-\n\t#&*!|>\'"{}[],?%@`'.split(''), 'name: ', 'world_size: ', '  ', '- ', '<<: *a', '&a '), { maxLength: 60 }).map((parts) => parts.join(''));
    await fc.assert(fc.asyncProperty(fc.oneof(yamlish, fc.string({ maxLength: 80 })), (text) => acceptsOrRefuses(() => parseJobSpecYaml(text, 'job.yaml'))), { numRuns: 300 });
  });

  it('aliases: an undefined one and an alias bomb are JOB_SPEC_INVALID, not a crash or a hang', () => {
    expect(() => parseJobSpecYaml('<<: *a', 'job.yaml')).toThrow(expect.objectContaining({ code: 'JOB_SPEC_INVALID' }));
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(() => parseJobSpecYaml(levels.join('\n'), 'job.yaml')).toThrow(expect.objectContaining({ code: 'JOB_SPEC_INVALID', message: expect.stringMatching(/alias/i) }));
  });

  it('a valid spec with fields replaced, added or nested wrongly', async () => {
    const key = fc.constantFrom(...Object.keys(VALID), 'gradient_dtype', 'collective_timeout_ms', 'max_seq_length', 'label_column', 'min_workers', 'max_workers', 'unknown');
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.integer({ min: -5, max: 1e9 }), fc.constantFrom('f32', 'bf16', '', '../../etc/passwd'));
    const trainingArgs = fc.dictionary(fc.constantFrom('output_dir', 'learning_rate', 'max_steps', 'num_train_epochs', 'save_strategy', 'nope'), value, { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, value, { maxKeys: 4 }), trainingArgs, (fields, training) => {
        const spec = { ...VALID, ...fields, training_arguments: { ...VALID.training_arguments, ...training } };
        return acceptsOrRefuses(() => parseJobSpecYaml(stringify(spec), 'job.yaml'));
      }),
      { numRuns: 300 },
    );
  });
});
