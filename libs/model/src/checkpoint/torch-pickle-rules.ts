import { describe, PyTuple, type PickleRules } from './restricted-unpickler.ts';
import { isTorchStorageType, type TorchStorageType } from './torch-storage.ts';

/** A global the rules allow; GLOBAL pushes it, REDUCE recognises it. Never a Python callable. */
class AllowedGlobal {
  constructor(readonly qualifiedName: string) {}
  toString(): string {
    return this.qualifiedName;
  }
}

/** `torch.FloatStorage` and its kin: only meaningful inside a storage's persistent id. */
export class StorageClass extends AllowedGlobal {
  constructor(readonly type: TorchStorageType) {
    super(`torch.${type}`);
  }
}

/** One storage (an entry `data/<key>` of the zip, or a record of the legacy file); `elementOffset` > 0 for a legacy view. */
export class StorageRef {
  constructor(
    readonly type: TorchStorageType,
    readonly key: string,
    readonly numel: number,
    readonly elementOffset = 0,
  ) {}
  toString(): string {
    return `storage ${this.key} (torch.${this.type})`;
  }
}

/** What `_rebuild_tensor_v2(storage, offset, size, stride, ...)` describes; the values are read later. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
  ) {}
  toString(): string {
    return `a tensor [${this.size.join(', ')}]`;
  }
}

const ORDERED_DICT = new AllowedGlobal('collections.OrderedDict');
const REBUILD_TENSOR_V2 = new AllowedGlobal('torch._utils._rebuild_tensor_v2');
const REBUILD_TENSOR = new AllowedGlobal('torch._utils._rebuild_tensor');
const REBUILD_PARAMETER = new AllowedGlobal('torch._utils._rebuild_parameter');
// torch >= 2.0 for a Parameter with Python attributes; allowed only when that state is empty.
const REBUILD_PARAMETER_WITH_STATE = new AllowedGlobal('torch._utils._rebuild_parameter_with_state');
const FUNCTIONS = new Map(
  [ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE].map((g) => [g.qualifiedName, g]),
);

/** Rules that allow no global at all (the legacy format's magic number, version and sys_info pickles). */
export const PLAIN_DATA_RULES: PickleRules = {
  resolveGlobal: () => undefined,
  reduce: (callable, _args, refuse) => refuse(`call of ${describe(callable)}`),
  build: (target, _state, refuse) => refuse(`BUILD on ${describe(target)}`),
  persistentLoad: (pid, refuse) => refuse(`persistent id ${describe(pid)}`),
};

export interface TorchPickleRules extends PickleRules {
  /** Every storage the pickle referred to, by key (the root storage for legacy views). */
  readonly storages: Map<string, StorageRef>;
}

/**
 * The globals and calls a `torch.save(state_dict)` pickle uses, and nothing more. Storages come
 * through persistent ids: `('storage', torch.XStorage, key, location, numel)` in the zip format, with
 * a sixth item (view metadata) in the legacy one.
 */
export function torchPickleRules(): TorchPickleRules {
  const storages = new Map<string, StorageRef>();
  return {
    storages,
    resolveGlobal(module, name) {
      const allowed = FUNCTIONS.get(`${module}.${name}`);
      if (allowed !== undefined) return allowed;
      if (module === 'torch' && isTorchStorageType(name)) return new StorageClass(name);
      return undefined;
    },
    reduce(callable, args, refuse) {
      if (callable === ORDERED_DICT) return orderedDict(args, refuse);
      if (callable === REBUILD_TENSOR_V2 || callable === REBUILD_TENSOR) return rebuildTensor(args, String(callable), refuse);
      if (callable === REBUILD_PARAMETER || callable === REBUILD_PARAMETER_WITH_STATE) {
        const [data, , hooks, state] = args;
        if (!(data instanceof TensorRef)) return refuse(`${String(callable)} of ${describe(data)}`);
        if ((hooks instanceof Map && hooks.size > 0) || (state !== undefined && state !== null && !(state instanceof Map && state.size === 0))) {
          return refuse(`${String(callable)} with backward hooks or Python state ${describe(state)}`);
        }
        return data;
      }
      return refuse(`call of ${describe(callable)}`);
    },
    build(target, state, refuse) {
      // An OrderedDict state_dict carries `_metadata` (module versions) as instance state: not needed.
      if (target instanceof Map) return target;
      return refuse(`BUILD (setting state ${describe(state)}) on ${describe(target)}`);
    },
    persistentLoad(pid, refuse) {
      const items = pid instanceof PyTuple ? pid.items : [];
      const [kind, storageClass, key, , numel, view] = items;
      if (kind !== 'storage' || !(storageClass instanceof StorageClass) || typeof key !== 'string' || !isCount(numel) || items.length > 6) {
        return refuse(`persistent id ${describe(pid)} (expected ('storage', torch.XStorage, key, location, numel))`);
      }
      const root = storages.get(key) ?? new StorageRef(storageClass.type, key, numel);
      storages.set(key, root);
      if (view === undefined || view === null) return root;
      // Legacy views (view_key, offset, size) into the root storage.
      const viewItems = view instanceof PyTuple ? view.items : [];
      const [, offset, size] = viewItems;
      if (viewItems.length !== 3 || !isCount(offset) || !isCount(size)) return refuse(`storage view ${describe(view)}`);
      return new StorageRef(storageClass.type, key, size, offset);
    },
  };
}

function orderedDict(args: readonly unknown[], refuse: (detail: string) => never): Map<unknown, unknown> {
  const map = new Map<unknown, unknown>();
  if (args.length === 0) return map;
  const [pairs] = args;
  if (args.length !== 1 || !Array.isArray(pairs)) return refuse(`collections.OrderedDict(${args.map(describe).join(', ')})`);
  for (const pair of pairs) {
    if (!(pair instanceof PyTuple) || pair.items.length !== 2) return refuse(`collections.OrderedDict item ${describe(pair)}`);
    map.set(pair.items[0], pair.items[1]);
  }
  return map;
}

function rebuildTensor(args: readonly unknown[], name: string, refuse: (detail: string) => never): TensorRef {
  const [storage, offset, size, stride, , hooks] = args;
  const sizes = counts(size);
  const strides = counts(stride);
  if (!(storage instanceof StorageRef) || !isCount(offset) || sizes === undefined || strides === undefined || sizes.length !== strides.length) {
    return refuse(`${name}(${args.map(describe).join(', ')}): expected (storage, offset, size, stride, ...)`);
  }
  if (args.length > 7 || (hooks instanceof Map && hooks.size > 0)) return refuse(`${name} with backward hooks or extra arguments`);
  return new TensorRef(storage, offset, sizes, strides);
}

function counts(value: unknown): number[] | undefined {
  if (!(value instanceof PyTuple) || !value.items.every(isCount)) return undefined;
  return value.items as number[];
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
