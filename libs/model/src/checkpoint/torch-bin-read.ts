import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { CheckpointError } from './checkpoint-error.ts';
import { describe, unpickle } from './restricted-unpickler.ts';
import { PLAIN_DATA_RULES, TensorRef, torchPickleRules, type StorageRef } from './torch-pickle-rules.ts';
import { decodeStorage, TORCH_STORAGE_TYPES } from './torch-storage.ts';
import { elementCount, type TensorData } from './tensor-data.ts';

/**
 * `pytorch_model.bin` as `torch.save(model.state_dict())` writes it, read without running Python:
 * - the zip format (torch >= 1.6): `<name>/data.pkl` plus one STORED entry `<name>/data/<key>` per storage;
 * - the legacy format (`_use_new_zipfile_serialization=False`): magic number, protocol version and
 *   sys_info pickles, the state-dict pickle, the list of storage keys, then each storage as an int64
 *   element count followed by its bytes.
 * Pickles go through the restricted unpickler (torch's tensor rebuild only). Every tensor comes back as float32.
 */
export async function readTorchBin(file: string): Promise<Map<string, TensorData>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new CheckpointError('CHECKPOINT_IO', file, `cannot read file: ${(cause as Error).message}`, undefined, { cause });
  }
  return parseTorchBin(bytes, file);
}

/** Parses the bytes of a torch checkpoint; `file` names the source in errors. */
export function parseTorchBin(bytes: Uint8Array, file: string): Map<string, TensorData> {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return parseZip(bytes, file);
  if (bytes[0] === 0x80) return parseLegacy(bytes, file);
  if (new TextDecoder('latin1').decode(bytes.subarray(257, 262)) === 'ustar') {
    throw new CheckpointError('CHECKPOINT_FORMAT_UNSUPPORTED', file, 'a tar archive: the torch < 0.4 checkpoint format is not read; load and re-save it with a current torch (torch.save) or as safetensors');
  }
  throw new CheckpointError('CHECKPOINT_FORMAT_UNSUPPORTED', file, `not a torch checkpoint (neither a zip nor a pickle: it starts with bytes ${hex(bytes.subarray(0, 4))})`);
}

/** End of central directory record; a zip cut short has none. */
const EOCD_SIGNATURE = [0x50, 0x4b, 0x05, 0x06];

function parseZip(bytes: Uint8Array, file: string): Map<string, TensorData> {
  if (!hasEndOfCentralDirectory(bytes)) {
    throw new CheckpointError('CHECKPOINT_TRUNCATED', file, `a zip without its end-of-central-directory record (${bytes.byteLength} bytes): the file is truncated, e.g. an interrupted download`);
  }
  const names: string[] = [];
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (entry) => {
        names.push(entry.name);
        return /^[^/]+\/(data\.pkl|byteorder|data\/[^/]+)$/.test(entry.name);
      },
    });
  } catch (cause) {
    throw new CheckpointError('CHECKPOINT_ZIP_INVALID', file, `cannot open the zip (${(cause as Error).message}); it is damaged or not written by torch.save`, undefined, { cause });
  }
  const pickleName = names.find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (names.some((name) => /^[^/]+\/(constants\.pkl|code\/)/.test(name))) {
    throw new CheckpointError('CHECKPOINT_FORMAT_UNSUPPORTED', file, 'a TorchScript archive (torch.jit.save), not a state dict; save model.state_dict() with torch.save instead');
  }
  if (pickleName === undefined) {
    throw new CheckpointError('CHECKPOINT_ZIP_INVALID', file, `the zip has no <name>/data.pkl entry (entries: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}); not written by torch.save`);
  }
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const byteorder = entries[`${prefix}byteorder`];
  if (byteorder !== undefined && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new CheckpointError('CHECKPOINT_FORMAT_UNSUPPORTED', file, 'storages are big-endian (byteorder); re-save the checkpoint on a little-endian machine');
  }
  const rules = torchPickleRules();
  const { value } = unpickle(entries[pickleName]!, rules, `${file} (${pickleName})`);
  const storageBytes = new Map<string, Uint8Array>();
  for (const key of rules.storages.keys()) {
    const entry = entries[`${prefix}data/${key}`];
    if (entry === undefined) throw new CheckpointError('CHECKPOINT_ZIP_INVALID', file, `the pickle refers to storage "${key}" but the zip has no entry ${prefix}data/${key}`);
    storageBytes.set(key, entry);
  }
  return stateDict(value, rules.storages, storageBytes, file);
}

/** torch.serialization's MAGIC_NUMBER and PROTOCOL_VERSION of the legacy format. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

function parseLegacy(bytes: Uint8Array, file: string): Map<string, TensorData> {
  const magic = unpickle(bytes, PLAIN_DATA_RULES, file);
  if (magic.value !== LEGACY_MAGIC) {
    throw new CheckpointError('CHECKPOINT_FORMAT_UNSUPPORTED', file, `a pickle, but not torch's legacy checkpoint format (it starts with ${describe(magic.value)}, not torch's magic number)`);
  }
  const protocol = unpickle(bytes, PLAIN_DATA_RULES, file, magic.end);
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw new CheckpointError('CHECKPOINT_FORMAT_UNSUPPORTED', file, `legacy torch format protocol ${describe(protocol.value)}, only ${LEGACY_PROTOCOL} is read`);
  }
  const sysInfo = unpickle(bytes, PLAIN_DATA_RULES, file, protocol.end);
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) {
    throw new CheckpointError('CHECKPOINT_FORMAT_UNSUPPORTED', file, 'storages are big-endian (sys_info little_endian False); re-save the checkpoint on a little-endian machine');
  }
  const rules = torchPickleRules();
  const main = unpickle(bytes, rules, file, sysInfo.end);
  const keys = unpickle(bytes, PLAIN_DATA_RULES, file, main.end);
  if (!Array.isArray(keys.value) || !keys.value.every((key) => typeof key === 'string')) {
    throw new CheckpointError('CHECKPOINT_PICKLE_INVALID', file, `the storage key list is ${describe(keys.value)}, not a list of strings`);
  }
  const storageBytes = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = keys.end;
  for (const key of keys.value as string[]) {
    const storage = rules.storages.get(key);
    if (storage === undefined) throw new CheckpointError('CHECKPOINT_PICKLE_INVALID', file, `storage key "${key}" is listed but no tensor uses it`);
    if (position + 8 > bytes.byteLength) throw truncated(file, key, position);
    const numel = Number(view.getBigInt64(position, true));
    const byteLength = numel * TORCH_STORAGE_TYPES[storage.type];
    if (numel < 0 || position + 8 + byteLength > bytes.byteLength) throw truncated(file, key, position);
    storageBytes.set(key, bytes.subarray(position + 8, position + 8 + byteLength));
    position += 8 + byteLength;
  }
  return stateDict(main.value, rules.storages, storageBytes, file);
}

function truncated(file: string, key: string, position: number): CheckpointError {
  return new CheckpointError('CHECKPOINT_TRUNCATED', file, `storage "${key}" at byte ${position} runs past the end of the file; the file is truncated`);
}

/** The unpickled top-level object must be a dict of tensors (a state dict); each is read from its storage. */
function stateDict(value: unknown, storages: ReadonlyMap<string, StorageRef>, storageBytes: ReadonlyMap<string, Uint8Array>, file: string): Map<string, TensorData> {
  if (!(value instanceof Map)) {
    throw new CheckpointError('CHECKPOINT_FORMAT_UNSUPPORTED', file, `holds ${describe(value)}, not a state dict; save model.state_dict() with torch.save`);
  }
  const decoded = new Map<string, Float32Array>();
  const tensors = new Map<string, TensorData>();
  for (const [name, tensor] of value) {
    if (typeof name !== 'string') throw new CheckpointError('CHECKPOINT_FORMAT_UNSUPPORTED', file, `state dict key ${describe(name)} is not a string`);
    if (!(tensor instanceof TensorRef)) {
      throw new CheckpointError('CHECKPOINT_FORMAT_UNSUPPORTED', file, `holds ${describe(tensor)}, not a tensor; a state dict maps names to tensors`, name);
    }
    const root = storages.get(tensor.storage.key)!;
    let values = decoded.get(root.key);
    if (values === undefined) {
      const bytes = storageBytes.get(root.key)!;
      const needed = root.numel * TORCH_STORAGE_TYPES[root.type];
      if (bytes.byteLength < needed) {
        throw new CheckpointError('CHECKPOINT_TRUNCATED', file, `storage "${root.key}" has ${bytes.byteLength} bytes, its ${root.numel} elements of torch.${root.type} need ${needed}`, name);
      }
      values = decodeStorage(bytes.subarray(0, needed), root.type, file, name);
      decoded.set(root.key, values);
    }
    tensors.set(name, { shape: [...tensor.size], data: gather(values, tensor, file, name) });
  }
  return tensors;
}

/** The tensor's elements in row-major order, from its storage offset and strides (views, transposes, expands). */
function gather(values: Float32Array, tensor: TensorRef, file: string, name: string): Float32Array {
  const { size, stride, storage } = tensor;
  const count = elementCount(size);
  const out = new Float32Array(count);
  if (count === 0) return out;
  const base = storage.elementOffset + tensor.offset;
  const last = tensor.offset + size.reduce((sum, dim, axis) => sum + (dim - 1) * stride[axis]!, 0);
  if (last >= storage.numel || storage.elementOffset + storage.numel > values.length) {
    throw new CheckpointError('CHECKPOINT_SIZE_MISMATCH', file, `size [${size.join(', ')}], stride [${stride.join(', ')}] and offset ${tensor.offset} reach element ${last} of a ${storage.numel}-element storage`, name);
  }
  if (isContiguous(size, stride)) {
    out.set(values.subarray(base, base + count));
    return out;
  }
  const index = new Array<number>(size.length).fill(0);
  let source = base;
  for (let i = 0; i < count; i++) {
    out[i] = values[source]!;
    for (let axis = size.length - 1; axis >= 0; axis--) {
      if (++index[axis]! < size[axis]!) {
        source += stride[axis]!;
        break;
      }
      source -= (size[axis]! - 1) * stride[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

function isContiguous(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let axis = size.length - 1; axis >= 0; axis--) {
    if (size[axis] !== 1 && stride[axis] !== expected) return false;
    expected *= size[axis]!;
  }
  return true;
}

function hasEndOfCentralDirectory(bytes: Uint8Array): boolean {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the end of the file.
  const from = Math.max(0, bytes.byteLength - 22 - 0xffff);
  for (let i = bytes.byteLength - 22; i >= from; i--) {
    if (bytes[i] === EOCD_SIGNATURE[0] && startsWith(bytes.subarray(i), EOCD_SIGNATURE)) return true;
  }
  return false;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
}
