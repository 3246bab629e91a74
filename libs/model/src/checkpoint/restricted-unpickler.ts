import { CheckpointError } from './checkpoint-error.ts';

/**
 * A pickle virtual machine that executes nothing. Python's pickle calls whatever GLOBAL names (a
 * `__reduce__` may name `os.system`); this one only builds plain data (None, bool, int, float, str,
 * bytes, tuple, list, dict) and hands every GLOBAL, REDUCE, BUILD and persistent id to `rules`, which
 * allow a fixed set (torch's tensor rebuild) and refuse the rest. Opcodes that instantiate arbitrary
 * classes (INST, OBJ, NEWOBJ, EXT*) are refused outright. Protocols 0-5 as far as torch.save uses them.
 */
export interface PickleRules {
  /** The value GLOBAL / STACK_GLOBAL push for `module.name`; undefined refuses the global. */
  resolveGlobal(module: string, name: string): unknown;
  /** REDUCE: `callable(*args)`. Throws (via `refuse`) when the callable is not one the rules allow. */
  reduce(callable: unknown, args: readonly unknown[], refuse: (detail: string) => never): unknown;
  /** BUILD: `target.__setstate__(state)`; returns the object that replaces `target` on the stack. */
  build(target: unknown, state: unknown, refuse: (detail: string) => never): unknown;
  /** PERSID / BINPERSID (torch's storages). */
  persistentLoad(pid: unknown, refuse: (detail: string) => never): unknown;
}

/** A Python tuple (arrays are lists). */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

export interface UnpickleResult {
  value: unknown;
  /** Byte offset just past the STOP opcode (torch's legacy format writes several pickles back to back). */
  end: number;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Unpickles the stream starting at `offset` of `bytes`; `file` names the source in errors. */
export function unpickle(bytes: Uint8Array, rules: PickleRules, file: string, offset = 0): UnpickleResult {
  return new Machine(bytes, rules, file, offset).run();
}

class Machine {
  private pos: number;
  private opStart = 0;
  private stack: unknown[] = [];
  private readonly metastack: unknown[][] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly rules: PickleRules,
    private readonly file: string,
    offset: number,
  ) {
    this.pos = offset;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): UnpickleResult {
    for (;;) {
      this.opStart = this.pos;
      const op = this.u8();
      if (op === 0x2e /* STOP . */) {
        if (this.stack.length !== 1) this.invalid(`STOP with ${this.stack.length} values on the stack, expected 1`);
        return { value: this.stack[0], end: this.pos };
      }
      this.step(op);
    }
  }

  private step(op: number): void {
    const push = (value: unknown): void => void this.stack.push(value);
    switch (op) {
      case 0x80: return void this.u8(); // PROTO
      case 0x95: return void this.take(8); // FRAME: a length hint, the opcodes follow inline
      case 0x28: this.metastack.push(this.stack); this.stack = []; return; // MARK
      case 0x30: return void this.pop(); // POP
      case 0x31: this.popMark(); return; // POP_MARK
      case 0x32: return push(this.top()); // DUP
      case 0x4e: return push(null); // NONE
      case 0x88: return push(true); // NEWTRUE
      case 0x89: return push(false); // NEWFALSE
      case 0x4a: return push(this.view.getInt32(this.take(4), true)); // BININT
      case 0x4b: return push(this.u8()); // BININT1
      case 0x4d: return push(this.view.getUint16(this.take(2), true)); // BININT2
      case 0x8a: return push(this.long(this.u8())); // LONG1
      case 0x8b: return push(this.long(this.u32())); // LONG4
      case 0x49: return push(this.textInt()); // INT
      case 0x4c: return push(this.textLong()); // LONG
      case 0x47: return push(this.view.getFloat64(this.take(8), false)); // BINFLOAT (big-endian)
      case 0x46: return push(this.textFloat()); // FLOAT
      case 0x58: return push(this.utf8(this.u32())); // BINUNICODE
      case 0x8c: return push(this.utf8(this.u8())); // SHORT_BINUNICODE
      case 0x8d: return push(this.utf8(this.u64())); // BINUNICODE8
      case 0x54: return push(this.latin1(this.u32())); // BINSTRING (Python 2 str)
      case 0x55: return push(this.latin1(this.u8())); // SHORT_BINSTRING
      case 0x42: return push(this.raw(this.u32())); // BINBYTES
      case 0x43: return push(this.raw(this.u8())); // SHORT_BINBYTES
      case 0x8e: return push(this.raw(this.u64())); // BINBYTES8
      case 0x96: return push(this.raw(this.u64())); // BYTEARRAY8
      case 0x5d: return push([]); // EMPTY_LIST
      case 0x29: return push(new PyTuple([])); // EMPTY_TUPLE
      case 0x7d: return push(new Map()); // EMPTY_DICT
      case 0x6c: return push(this.popMark()); // LIST
      case 0x74: return push(new PyTuple(this.popMark())); // TUPLE
      case 0x85: return push(new PyTuple(this.popN(1))); // TUPLE1
      case 0x86: return push(new PyTuple(this.popN(2))); // TUPLE2
      case 0x87: return push(new PyTuple(this.popN(3))); // TUPLE3
      case 0x64: return push(this.setItems(new Map(), this.popMark())); // DICT
      case 0x61: { const [item] = this.popN(1); this.list(this.top()).push(item); return; } // APPEND
      case 0x65: { const items = this.popMark(); this.list(this.top()).push(...items); return; } // APPENDS
      case 0x73: { const items = this.popN(2); this.setItems(this.top(), items); return; } // SETITEM
      case 0x75: { const items = this.popMark(); this.setItems(this.top(), items); return; } // SETITEMS
      case 0x71: return this.put(this.u8()); // BINPUT
      case 0x72: return this.put(this.u32()); // LONG_BINPUT
      case 0x94: return this.put(this.memo.size); // MEMOIZE
      case 0x70: return this.put(this.textIndex()); // PUT
      case 0x68: return push(this.get(this.u8())); // BINGET
      case 0x6a: return push(this.get(this.u32())); // LONG_BINGET
      case 0x67: return push(this.get(this.textIndex())); // GET
      case 0x63: { const module = this.line(); return push(this.global(module, this.line())); } // GLOBAL
      case 0x93: { const [module, name] = this.popN(2); return push(this.global(this.str(module), this.str(name))); } // STACK_GLOBAL
      case 0x52: { const [callable, args] = this.popN(2); return push(this.rules.reduce(callable, this.tuple(args), this.refuser)); } // REDUCE
      case 0x62: { const [state] = this.popN(1); const target = this.pop(); return push(this.rules.build(target, state, this.refuser)); } // BUILD
      case 0x51: return push(this.rules.persistentLoad(this.pop(), this.refuser)); // BINPERSID
      case 0x50: return push(this.rules.persistentLoad(this.line(), this.refuser)); // PERSID
      case 0x69: return this.refuse(`opcode INST (instantiates class ${this.line()}.${this.line()})`);
      case 0x6f: return this.refuse('opcode OBJ (instantiates a class)');
      case 0x81: return this.refuse(`opcode NEWOBJ (instantiates ${describe(this.popN(2)[0])})`);
      case 0x92: return this.refuse(`opcode NEWOBJ_EX (instantiates ${describe(this.popN(3)[0])})`);
      case 0x82: case 0x83: case 0x84: return this.refuse('opcode EXT (a global from the copyreg extension registry)');
      default:
        return this.invalid(`unknown or unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  private readonly refuser = (detail: string): never => this.refuse(detail);

  private global(module: string, name: string): unknown {
    const value = this.rules.resolveGlobal(module, name);
    if (value === undefined) return this.refuse(`global "${module}.${name}"`);
    return value;
  }

  private refuse(detail: string): never {
    throw new CheckpointError(
      'CHECKPOINT_PICKLE_REFUSED',
      this.file,
      `refused ${detail} at byte ${this.opStart} of the pickle: a checkpoint may only rebuild torch tensors ` +
        '(torch._utils._rebuild_tensor_v2, _rebuild_parameter, collections.OrderedDict, torch.*Storage); ' +
        'loading this file in Python would run that code. Nothing was executed. Use a safetensors copy from a source you trust.',
    );
  }

  private invalid(detail: string): never {
    throw new CheckpointError('CHECKPOINT_PICKLE_INVALID', this.file, `${detail} at byte ${this.opStart} of the pickle`);
  }

  private take(count: number): number {
    const start = this.pos;
    if (!Number.isSafeInteger(count) || start + count > this.bytes.byteLength) {
      throw new CheckpointError(
        'CHECKPOINT_TRUNCATED',
        this.file,
        `the pickle ends at byte ${this.bytes.byteLength} inside the opcode at byte ${this.opStart} (needs ${count} more bytes); the file is truncated`,
      );
    }
    this.pos += count;
    return start;
  }

  private u8(): number {
    return this.bytes[this.take(1)]!;
  }

  private u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  private u64(): number {
    const value = this.view.getBigUint64(this.take(8), true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.invalid(`length ${value} is not plausible`);
    return Number(value);
  }

  /** Little-endian two's-complement integer of `count` bytes (LONG1/LONG4). */
  private long(count: number): number | bigint {
    const start = this.take(count);
    let value = 0n;
    for (let i = count - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.bytes[start + i]!);
    if (count > 0 && this.bytes[start + count - 1]! >= 0x80) value -= 1n << BigInt(count * 8);
    return toNumberIfSafe(value);
  }

  private line(): string {
    const start = this.pos;
    const end = this.bytes.indexOf(0x0a, start);
    if (end < 0) this.take(this.bytes.byteLength - start + 1); // throws CHECKPOINT_TRUNCATED
    this.pos = end + 1;
    return new TextDecoder('latin1').decode(this.bytes.subarray(start, end));
  }

  private textInt(): number | bigint | boolean {
    const text = this.line();
    if (text === '01') return true; // protocol 0 writes booleans as I01 / I00
    if (text === '00') return false;
    return this.parseInteger(text);
  }

  private textLong(): number | bigint {
    return this.parseInteger(this.line().replace(/L$/, ''));
  }

  private parseInteger(text: string): number | bigint {
    if (!/^[+-]?\d+$/.test(text)) this.invalid(`"${text}" is not an integer`);
    return toNumberIfSafe(BigInt(text));
  }

  private textFloat(): number {
    const text = this.line();
    const value = Number(text);
    if (Number.isNaN(value) && !/^[+-]?nan$/i.test(text)) this.invalid(`"${text}" is not a float`);
    return value;
  }

  private textIndex(): number {
    const text = this.line();
    if (!/^\d+$/.test(text)) this.invalid(`memo index "${text}" is not an integer`);
    return Number(text);
  }

  private utf8(length: number): string {
    const start = this.take(length);
    try {
      return textDecoder.decode(this.bytes.subarray(start, start + length));
    } catch {
      return this.invalid('a string is not valid UTF-8');
    }
  }

  private latin1(length: number): string {
    const start = this.take(length);
    return new TextDecoder('latin1').decode(this.bytes.subarray(start, start + length));
  }

  private raw(length: number): Uint8Array {
    const start = this.take(length);
    return this.bytes.slice(start, start + length);
  }

  private put(index: number): void {
    this.memo.set(index, this.top());
  }

  private get(index: number): unknown {
    if (!this.memo.has(index)) this.invalid(`memo entry ${index} was never stored`);
    return this.memo.get(index);
  }

  private pop(): unknown {
    if (this.stack.length === 0) this.invalid('stack underflow');
    return this.stack.pop();
  }

  private popN(count: number): unknown[] {
    if (this.stack.length < count) this.invalid(`stack underflow (needs ${count} values)`);
    return this.stack.splice(this.stack.length - count, count);
  }

  private top(): unknown {
    if (this.stack.length === 0) this.invalid('stack underflow');
    return this.stack[this.stack.length - 1];
  }

  private popMark(): unknown[] {
    const items = this.stack;
    const previous = this.metastack.pop();
    if (previous === undefined) this.invalid('no MARK to pop to');
    this.stack = previous;
    return items;
  }

  private list(target: unknown): unknown[] {
    if (!Array.isArray(target)) return this.refuse(`APPEND to ${describe(target)}`);
    return target;
  }

  private tuple(args: unknown): readonly unknown[] {
    if (!(args instanceof PyTuple)) this.invalid(`REDUCE arguments are ${describe(args)}, not a tuple`);
    return args.items;
  }

  private str(value: unknown): string {
    if (typeof value !== 'string') this.invalid(`STACK_GLOBAL needs two strings, got ${describe(value)}`);
    return value;
  }

  private setItems(target: unknown, items: unknown[]): Map<unknown, unknown> {
    if (!(target instanceof Map)) return this.refuse(`SETITEM on ${describe(target)}`);
    if (items.length % 2 !== 0) this.invalid('SETITEMS with an odd number of values');
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
    return target;
  }
}

function toNumberIfSafe(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** A short description of an unpickled value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PyTuple) return `a tuple of ${value.items.length}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value instanceof Map) return `a dict of ${value.size}`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'object') return String((value as { toString(): string }).toString());
  return `${typeof value} ${String(value)}`;
}
