import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bertParameterShapes, readBertConfig, type BertHead } from '../config/index.ts';
import { float16ToNumber } from './dtype.ts';
import { readSafetensors } from './safetensors-read.ts';
import { validateShapes } from './validate-shapes.ts';

// Written by tools/reference/bert_reference.py generate (see tools/reference/README.md).
const golden = (path: string): string => fileURLToPath(new URL(`../../fixtures/golden/${path}`, import.meta.url));

describe('golden fixtures decode', () => {
  it('F16 weights equal the F32 weights within half a float16 ulp', async () => {
    const { tensors: f32 } = await readSafetensors(golden('sequence-classification/model.safetensors'));
    const { tensors: f16 } = await readSafetensors(golden('sequence-classification/model-f16.safetensors'));
    expect([...f16.keys()]).toEqual([...f32.keys()]);
    for (const [name, { shape, data }] of f32) {
      const half = f16.get(name)!;
      expect(half.shape, name).toEqual(shape);
      // Round to nearest: error <= 2^-11 relative for normals, 2^-25 absolute for subnormals.
      data.forEach((value, i) => expect(Math.abs(half.data[i]! - value), `${name}[${i}]`).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11 + 2 ** -25));
    }
  });

  it('BF16 weights equal the F32 weights within half a bfloat16 ulp', async () => {
    const { tensors: f32 } = await readSafetensors(golden('sequence-classification/model.safetensors'));
    const { tensors: bf16 } = await readSafetensors(golden('sequence-classification/model-bf16.safetensors'));
    let inexact = 0;
    for (const [name, { data }] of f32) {
      const brain = bf16.get(name)!;
      data.forEach((value, i) => {
        expect(Math.abs(brain.data[i]! - value), `${name}[${i}]`).toBeLessThanOrEqual(Math.abs(value) * 2 ** -8);
        if (brain.data[i] !== value) inexact++;
      });
    }
    expect(inexact).toBeGreaterThan(0); // the file really is reduced precision
  });

  it('float16ToNumber handles the special encodings', () => {
    expect(float16ToNumber(0x3c00)).toBe(1);
    expect(float16ToNumber(0xc000)).toBe(-2);
    expect(float16ToNumber(0x7bff)).toBe(65504);
    expect(float16ToNumber(0x0001)).toBe(2 ** -24);
    expect(float16ToNumber(0x8000)).toBe(-0);
    expect(float16ToNumber(0x7c00)).toBe(Infinity);
    expect(float16ToNumber(0xfc00)).toBe(-Infinity);
    expect(float16ToNumber(0x7e00)).toBeNaN();
  });
});

describe('parameter names agree with the PyTorch reference', () => {
  const cases: [string, BertHead][] = [
    ['sequence-classification', 'sequence-classification'],
    ['token-classification', 'token-classification'],
  ];
  it.each(cases)('%s/model.safetensors holds exactly bertParameterShapes, in order', async (dir, head) => {
    const config = await readBertConfig(golden(`${dir}/config.json`));
    const { tensors } = await readSafetensors(golden(`${dir}/model.safetensors`));
    const expected = bertParameterShapes(config, head);
    expect([...tensors.keys()]).toEqual([...expected.keys()]);
    validateShapes(tensors, expected, dir);
    const grads = (await readSafetensors(golden(`${dir}/expected.safetensors`))).tensors;
    expect([...grads.keys()].filter((k) => k.startsWith('grad.'))).toEqual([...expected.keys()].map((k) => `grad.${k}`));
  });

  it('named_parameters() of every head, masked-lm included, match in name, shape and order', async () => {
    const reference = JSON.parse(await readFile(golden('parameter-shapes.json'), 'utf8')) as Record<string, [string, number[]][]>;
    const config = await readBertConfig(golden('sequence-classification/config.json'));
    for (const head of ['sequence-classification', 'token-classification', 'masked-lm'] as const) {
      expect([...bertParameterShapes(config, head)], head).toEqual(reference[head]);
    }
  });
});
