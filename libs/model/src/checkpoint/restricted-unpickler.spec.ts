import { describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { CheckpointError } from './checkpoint-error.ts';
import { PyTuple, unpickle } from './restricted-unpickler.ts';
import { PLAIN_DATA_RULES, torchPickleRules } from './torch-pickle-rules.ts';

/** Hand-assembled pickles: strings become their latin1 bytes, numbers single bytes. */
function pickle(...parts: (string | number)[]): Uint8Array {
  const bytes: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') bytes.push(part);
    else for (const ch of part) bytes.push(ch.charCodeAt(0));
  }
  return Uint8Array.from(bytes);
}

function refusal(bytes: Uint8Array, rules = torchPickleRules()): CheckpointError {
  try {
    unpickle(bytes, rules, 'test.pkl');
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error('expected the pickle to be refused');
}

describe('unpickle (plain data)', () => {
  it('builds ints, floats, strings, bytes, tuples, lists and dicts', () => {
    // {'a': [1, -2, 300, 70000, 1.5], 'b': (True, None), 'c': b'xy'} in protocol 2 opcodes
    const bytes = pickle(
      0x80, 2, '}', '(',
      'X', 1, 0, 0, 0, 'a', ']', '(', 'K', 1, 'J', 0xfe, 0xff, 0xff, 0xff, 'M', 0x2c, 0x01, 'J', 0x70, 0x11, 0x01, 0x00,
      'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 'e',
      0x8c, 1, 'b', 0x88, 'N', 0x86,
      0x8c, 1, 'c', 'C', 2, 'xy',
      'u', '.',
    );
    const { value, end } = unpickle(bytes, PLAIN_DATA_RULES, 'test.pkl');
    expect(end).toBe(bytes.byteLength);
    const map = value as Map<string, unknown>;
    expect(map.get('a')).toEqual([1, -2, 300, 70000, 1.5]);
    expect(map.get('b')).toEqual(new PyTuple([true, null]));
    expect(map.get('c')).toEqual(Uint8Array.from([0x78, 0x79]));
  });

  it('reads LONG1 beyond 2^53 as a bigint, negative values in two\'s complement, and the memo', () => {
    const bytes = pickle(0x80, 2, ']', 'q', 0, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0x8a, 1, 0xff, 'a', 'h', 0, 0x86, '.');
    const { value } = unpickle(bytes, PLAIN_DATA_RULES, 'test.pkl');
    const [list, again] = (value as PyTuple).items;
    expect(list).toEqual([1n << 64n, -1]);
    expect(again).toBe(list); // BINGET returns the memoised object itself
  });

  it('stops at STOP and reports where the next pickle starts', () => {
    const bytes = pickle(0x80, 2, 'K', 7, '.', 0x80, 2, 'K', 8, '.');
    const first = unpickle(bytes, PLAIN_DATA_RULES, 'test.pkl');
    expect(first).toEqual({ value: 7, end: 5 });
    expect(unpickle(bytes, PLAIN_DATA_RULES, 'test.pkl', first.end).value).toBe(8);
  });
});

describe('unpickle refuses code', () => {
  it('refuses a GLOBAL outside the allow-list before anything can call it', () => {
    const error = refusal(pickle(0x80, 2, 'c', 'posix\nsystem\n', 'X', 2, 0, 0, 0, 'ls', 0x85, 'R', '.'));
    expect(errorCode(error)).toBe('CHECKPOINT_PICKLE_REFUSED');
    expect(error.message).toContain('global "posix.system"');
    expect(error.message).toContain('test.pkl');
  });

  it('refuses a STACK_GLOBAL outside the allow-list', () => {
    const error = refusal(pickle(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93, '.'));
    expect(error.message).toContain('global "builtins.eval"');
  });

  it('refuses REDUCE of a storage class (allowed as a global, not callable)', () => {
    const error = refusal(pickle(0x80, 2, 'c', 'torch\nFloatStorage\n', ')', 'R', '.'));
    expect(errorCode(error)).toBe('CHECKPOINT_PICKLE_REFUSED');
    expect(error.message).toContain('call of torch.FloatStorage');
  });

  it('refuses BUILD on anything but a dict', () => {
    // OrderedDict() is fine to BUILD (state_dict _metadata); a list is not
    const error = refusal(pickle(0x80, 2, ']', '}', 'b', '.'));
    expect(error.message).toContain('BUILD');
    expect(error.message).toContain('a list of 0');
    const ok = unpickle(pickle(0x80, 2, 'c', 'collections\nOrderedDict\n', ')', 'R', '}', 'b', '.'), torchPickleRules(), 't');
    expect(ok.value).toEqual(new Map());
  });

  it('refuses the class-instantiating opcodes INST, OBJ and NEWOBJ', () => {
    expect(refusal(pickle(0x80, 2, '(', 'i', 'os\nsystem\n', '.')).message).toContain('INST');
    expect(refusal(pickle(0x80, 2, '(', 'o', '.')).message).toContain('OBJ');
    expect(refusal(pickle(0x80, 2, 'c', 'collections\nOrderedDict\n', ')', 0x81, '.')).message).toContain('NEWOBJ');
  });

  it('rebuilds a Parameter with empty Python state; refuses one whose state would set attributes', () => {
    const tensor = [
      'c', 'torch._utils\n_rebuild_tensor_v2\n', '(', '(', 0x8c, 7, 'storage', 'c', 'torch\nFloatStorage\n', 0x8c, 1, '0', 0x8c, 3, 'cpu', 'K', 1, 't', 'Q',
      'K', 0, 'K', 1, 0x85, 'K', 1, 0x85, 0x89, '}', 't', 'R',
    ];
    const parameter = (state: (string | number)[]) =>
      pickle(0x80, 2, 'c', 'torch._utils\n_rebuild_parameter_with_state\n', '(', ...tensor, 0x88, '}', ...state, 't', 'R', '.');
    const rules = torchPickleRules();
    const { value } = unpickle(parameter(['}']), rules, 'test.pkl');
    expect(String(value)).toBe('a tensor [1]');
    expect([...rules.storages.keys()]).toEqual(['0']);
    const error = refusal(parameter(['}', 0x8c, 1, 'x', 'K', 1, 's']));
    expect(error.message).toContain('_rebuild_parameter_with_state with backward hooks or Python state a dict of 1');
  });

  it('refuses a persistent id that is not a torch storage', () => {
    const error = refusal(pickle(0x80, 2, 'X', 3, 0, 0, 0, 'abc', 'Q', '.'));
    expect(error.message).toContain('persistent id "abc"');
  });
});

describe('unpickle rejects malformed streams', () => {
  it('names a truncated pickle', () => {
    const error = refusal(pickle(0x80, 2, 'X', 10, 0, 0, 0, 'abc'));
    expect(errorCode(error)).toBe('CHECKPOINT_TRUNCATED');
  });

  it('names an unknown opcode and a stack underflow', () => {
    expect(refusal(pickle(0x80, 2, 0xff, '.')).message).toContain('opcode 0xff');
    expect(errorCode(refusal(pickle(0x80, 2, 'a', '.')))).toBe('CHECKPOINT_PICKLE_INVALID');
  });
});
