import { describe, expect, it } from 'vitest';
import { SpecialTokenLayout } from './special-token-layout.ts';

const ids: Record<string, number> = { '<|begin_of_text|>': 7, '</s>': 2 };
const idOf = (token: string) => ids[token];
const a = { ids: [10, 11], wordIds: [0, 1] };
const b = { ids: [12], wordIds: [0] };

describe('SpecialTokenLayout: post-processors without special tokens, and Sequence', () => {
  it("ByteLevel (GPT-2's) adds nothing; a pair is A B with B's token type 1", () => {
    const layout = SpecialTokenLayout.fromPostProcessor({ type: 'ByteLevel', trim_offsets: false }, idOf, 'gpt2.json');
    expect(layout.build(a, undefined, undefined)).toEqual({ inputIds: [10, 11], attentionMask: [1, 1], tokenTypeIds: [0, 0], wordIds: [0, 1] });
    expect(layout.build(a, b, undefined).tokenTypeIds).toEqual([0, 0, 1]);
    expect(layout.specialCount(true)).toBe(0);
  });

  it("Sequence [ByteLevel, TemplateProcessing] (Llama 3's) follows the template; two token-adding processors are refused", () => {
    const template = { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [] };
    const layout = SpecialTokenLayout.fromPostProcessor({ type: 'Sequence', processors: [{ type: 'ByteLevel' }, template] }, idOf, 'llama.json');
    expect(layout.build(a, undefined, undefined).inputIds).toEqual([7, 10, 11]);
    expect(() => SpecialTokenLayout.fromPostProcessor({ type: 'Sequence', processors: [template, template] }, idOf, 'two.json')).toThrow(
      expect.objectContaining({ code: 'TOKENIZER_INVALID', message: 'two.json: post_processor Sequence has 2 processors that add special tokens; expected at most one' }),
    );
  });
});
