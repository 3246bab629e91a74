import { TokenizerError } from './tokenizer-error.ts';
import type { Encoding } from './encoding.ts';
import { truncateSequences, type TokenSequence } from './truncation.ts';

/** One slot of a post-processor template: a special token, or sequence A / B, with its token type. */
type Slot = { readonly special: number; readonly typeId: number } | { readonly sequence: 'A' | 'B'; readonly typeId: number };

/**
 * Where the special tokens go around one text or a pair, read from tokenizer.json's `post_processor`:
 * RobertaProcessing (`<s> A </s>`, `<s> A </s></s> B </s>`, all type 0), BertProcessing
 * (`[CLS] A [SEP]`, `[CLS] A [SEP] B [SEP]`, B type 1), TemplateProcessing (its own templates) or
 * ByteLevel (GPT-2: none, a pair is A B with B type 1).
 */
export class SpecialTokenLayout {
  private constructor(
    private readonly single: readonly Slot[],
    private readonly pair: readonly Slot[],
  ) {}

  static fromPostProcessor(processor: unknown, idOf: (token: string) => number | undefined, source: string): SpecialTokenLayout {
    const p = (processor ?? {}) as Record<string, unknown>;
    const special = (token: string): number => {
      const id = idOf(token);
      if (id === undefined) throw new TokenizerError('TOKENIZER_MISSING_SPECIAL_TOKEN', `${source}: post_processor names "${token}", which is not in the vocabulary`);
      return id;
    };
    const pairId = (value: unknown, field: string): number => {
      if (!Array.isArray(value) || typeof value[0] !== 'string') throw new TokenizerError('TOKENIZER_INVALID', `${source}: post_processor.${field} must be [token, id]`);
      return special(value[0]);
    };
    const A = { sequence: 'A', typeId: 0 } as const;
    switch (p.type) {
      case 'ByteLevel':
        // GPT-2's: it only trims offsets; no special tokens are added.
        return new SpecialTokenLayout([A], [A, { sequence: 'B', typeId: 1 }]);
      case 'Sequence': {
        // Llama 3 / Qwen: [ByteLevel, TemplateProcessing]; the one processor that adds tokens decides.
        const processors = Array.isArray(p.processors) ? (p.processors as { type?: unknown }[]) : [];
        const adding = processors.filter((inner) => inner?.type !== 'ByteLevel');
        if (adding.length > 1) throw new TokenizerError('TOKENIZER_INVALID', `${source}: post_processor Sequence has ${adding.length} processors that add special tokens; expected at most one`);
        return SpecialTokenLayout.fromPostProcessor(adding[0] ?? { type: 'ByteLevel' }, idOf, source);
      }
      case 'RobertaProcessing': {
        const cls = { special: pairId(p.cls, 'cls'), typeId: 0 };
        const sep = { special: pairId(p.sep, 'sep'), typeId: 0 };
        return new SpecialTokenLayout([cls, A, sep], [cls, A, sep, sep, { sequence: 'B', typeId: 0 }, sep]);
      }
      case 'BertProcessing': {
        const cls = pairId(p.cls, 'cls');
        const sep = pairId(p.sep, 'sep');
        const s0 = { special: sep, typeId: 0 };
        return new SpecialTokenLayout([{ special: cls, typeId: 0 }, A, s0], [{ special: cls, typeId: 0 }, A, s0, { sequence: 'B', typeId: 1 }, { special: sep, typeId: 1 }]);
      }
      case 'TemplateProcessing': {
        const template = (items: unknown, field: string): Slot[] => {
          if (!Array.isArray(items)) throw new TokenizerError('TOKENIZER_INVALID', `${source}: post_processor.${field} must be a list`);
          return items.map((item: Record<string, { id: string; type_id?: number }>) => {
            if (item.SpecialToken) return { special: special(item.SpecialToken.id), typeId: item.SpecialToken.type_id ?? 0 };
            if (item.Sequence && (item.Sequence.id === 'A' || item.Sequence.id === 'B')) return { sequence: item.Sequence.id, typeId: item.Sequence.type_id ?? 0 };
            throw new TokenizerError('TOKENIZER_INVALID', `${source}: post_processor.${field} has an item that is neither SpecialToken nor Sequence A/B`);
          });
        };
        return new SpecialTokenLayout(template(p.single, 'single'), template(p.pair, 'pair'));
      }
      default:
        throw new TokenizerError(
          'TOKENIZER_INVALID',
          `${source}: post_processor ${JSON.stringify(p.type ?? null)} is not supported; expected RobertaProcessing, BertProcessing, TemplateProcessing, ByteLevel or a Sequence of them`,
        );
    }
  }

  /** Special tokens added around one text (`hasPair` false) or a pair. */
  specialCount(hasPair: boolean): number {
    return (hasPair ? this.pair : this.single).filter((slot) => 'special' in slot).length;
  }

  /** The row for `first` (and `second`), truncated longest-first to `maxLength` tokens in all when given. */
  build(first: TokenSequence, second: TokenSequence | undefined, maxLength: number | undefined): Encoding {
    const hasPair = second !== undefined;
    let [a, b] = [first, second];
    if (maxLength !== undefined) {
      const budget = maxLength - this.specialCount(hasPair);
      if (budget < 0) {
        throw new TokenizerError(
          'TOKENIZER_INVALID_OPTIONS',
          `maxLength ${maxLength} leaves no room for the ${this.specialCount(hasPair)} special tokens of a ${hasPair ? 'pair' : 'single text'}`,
        );
      }
      [a, b] = truncateSequences(first, second, budget);
    }
    const row: Encoding = { inputIds: [], attentionMask: [], tokenTypeIds: [], wordIds: [] };
    for (const slot of hasPair ? this.pair : this.single) {
      if ('special' in slot) {
        row.inputIds.push(slot.special);
        row.tokenTypeIds.push(slot.typeId);
        row.wordIds.push(null);
        continue;
      }
      const sequence = slot.sequence === 'A' ? a : b!;
      row.inputIds.push(...sequence.ids);
      row.tokenTypeIds.push(...new Array<number>(sequence.ids.length).fill(slot.typeId));
      row.wordIds.push(...sequence.wordIds);
    }
    row.attentionMask.push(...new Array<number>(row.inputIds.length).fill(1));
    return row;
  }
}
