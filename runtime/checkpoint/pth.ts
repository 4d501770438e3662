/**
 * PyTorch checkpoints written by `torch.save(model.state_dict(), f)` (the zip format of torch >= 1.6):
 * `<archive>/data.pkl` (a pickle whose tensors refer to storages by persistent id) and one
 * `<archive>/data/<key>` file per storage, little-endian unless `<archive>/byteorder` says "big".
 */
import * as fs from 'node:fs';
import { allocate, BYTES, type DType, type TypedArray } from '../../sdk/dtype';
import type { NamedArray, StateDict } from '../../sdk/state';
import { CheckpointError, checkedNumel, typedFromBytes } from './bytes';
import { describe, PyCallable, PyDict, PyObject, unpickle } from './pickle';
import { isZip, ZipReader } from './zip';

/** Keys under which training scripts commonly nest the state_dict, tried in this order. */
export const WRAPPER_KEYS = ['state_dict', 'model', 'model_state_dict', 'net'];

export interface PthContent {
  tensors: StateDict;
  /** The key of the outer dict that held the state_dict, when it was wrapped. */
  wrapperKey?: string;
}

class StorageType {
  constructor(
    readonly name: string,
    readonly dtype: DType | undefined,
    readonly bf16 = false,
  ) {}
}

const STORAGE_TYPES: Record<string, StorageType> = Object.fromEntries(
  (
    [
      ['FloatStorage', 'float32'],
      ['DoubleStorage', 'float64'],
      ['HalfStorage', 'float16'],
      ['LongStorage', 'int64'],
      ['IntStorage', 'int32'],
      ['ByteStorage', 'uint8'],
      ['BoolStorage', 'bool'],
      ['BFloat16Storage', 'float32'],
      ['ShortStorage', undefined],
      ['CharStorage', undefined],
      ['ComplexFloatStorage', undefined],
      ['ComplexDoubleStorage', undefined],
    ] as const
  ).map(([n, d]) => [`torch.${n}`, new StorageType(`torch.${n}`, d, n === 'BFloat16Storage')]),
);

/** One storage file, read on first use. */
class Storage {
  private cache?: TypedArray;
  constructor(
    readonly type: StorageType,
    readonly key: string,
    readonly numel: number,
    private readonly load: () => TypedArray,
  ) {}
  get data(): TypedArray {
    return (this.cache ??= this.load());
  }
}

/** A tensor as pickled: a strided view of a storage, materialised only when its key is known. */
class LazyTensor {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** Parses a torch.save zip checkpoint held in `bytes` (`source` names it in errors). */
export function readPthContent(bytes: Uint8Array, source = '.pth data'): PthContent {
  const fail = (msg: string): never => {
    throw new CheckpointError(`${source}: ${msg}`);
  };
  if (!isZip(bytes)) {
    if (bytes[0] === 0x80)
      fail(
        'legacy (non-zip) torch.save format, from PyTorch < 1.6 or _use_new_zipfile_serialization=False, is not supported: re-save it with torch >= 1.6',
      );
    fail('not a PyTorch checkpoint (expected a zip archive written by torch.save)');
  }
  let zip: ZipReader;
  try {
    zip = new ZipReader(bytes, source);
  } catch (e) {
    if (e instanceof RangeError) fail('corrupt zip directory');
    throw e;
  }
  const names = [...zip.entries.keys()];
  const pkl = names.find((n) => /^[^/]*\/?data\.pkl$/.test(n));
  if (!pkl) {
    if (names.some((n) => n.endsWith('constants.pkl') || n.includes('/code/')))
      fail(
        'this is a TorchScript archive (torch.jit.save), not a state_dict: save model.state_dict() with torch.save instead',
      );
    fail('no data.pkl in the archive: not a torch.save checkpoint');
  }
  const prefix = pkl!.slice(0, -'data.pkl'.length);
  const order = zip.entries.has(`${prefix}byteorder`)
    ? Buffer.from(zip.read(`${prefix}byteorder`))
        .toString()
        .trim()
    : 'little';
  if (order !== 'little' && order !== 'big') fail(`unknown byteorder "${order}"`);

  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5)
      return fail(`unsupported persistent id ${describe(pid)}`);
    const [, type, key, , numel] = pid as [string, unknown, unknown, unknown, unknown];
    if (!(type instanceof StorageType))
      return fail(`storage ${String(key)} has an unknown storage type (${describe(type)})`);
    if (!type.dtype) fail(`storage ${String(key)}: ${type.name} tensors are not supported`);
    if (typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0)
      fail(`malformed storage id for storage ${String(key)}`);
    const s =
      storages.get(key as string) ??
      new Storage(type, key as string, numel as number, () =>
        loadStorage(zip, `${prefix}data/${key}`, type, numel as number, order === 'big', fail),
      );
    storages.set(s.key, s);
    return s;
  };
  let root: unknown;
  try {
    root = unpickle(zip.read(pkl!), { findClass: (q) => WHITELIST[q] ?? STORAGE_TYPES[q], persistentLoad });
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    fail(`${pkl}: ${(e as Error).message}`);
  }
  return pickStateDict(root, fail);
}

/** Reads the state_dict of a torch.save zip checkpoint. */
export function readPth(bytes: Uint8Array, source?: string): StateDict {
  return readPthContent(bytes, source).tensors;
}

export function loadPth(file: string): StateDict {
  return readPth(fs.readFileSync(file), file);
}

const WHITELIST: Record<string, PyCallable> = {
  'collections.OrderedDict': new PyCallable('OrderedDict', (args) => {
    const d = new PyDict();
    if (Array.isArray(args[0])) for (const kv of args[0]) if (Array.isArray(kv)) d.items.set(kv[0], kv[1]);
    return d;
  }),
  'torch._utils._rebuild_tensor_v2': new PyCallable('_rebuild_tensor_v2', ([storage, offset, size, stride]) => {
    const ints = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
    if (
      !(storage instanceof Storage) ||
      !Number.isSafeInteger(offset) ||
      !ints(size) ||
      !ints(stride) ||
      (size as number[]).length !== (stride as number[]).length
    ) {
      throw new Error('_rebuild_tensor_v2: malformed arguments');
    }
    if ((offset as number) < 0)
      throw new Error(`_rebuild_tensor_v2: negative storage offset ${offset as number} (corrupt or malicious file)`);
    return new LazyTensor(storage, offset as number, size as number[], stride as number[]);
  }),
  'torch._utils._rebuild_parameter': new PyCallable('_rebuild_parameter', ([data]) => data),
  'torch._utils._rebuild_parameter_with_state': new PyCallable('_rebuild_parameter_with_state', ([data]) => data),
};

function loadStorage(
  zip: ZipReader,
  entry: string,
  type: StorageType,
  numel: number,
  bigEndian: boolean,
  fail: (m: string) => never,
): TypedArray {
  const declared = zip.entries.get(entry)?.size;
  if (declared === undefined) return fail(`storage file ${entry} is missing`);
  const elem = type.bf16 ? 2 : BYTES[type.dtype!];
  // Checked before inflating, from the directory's declared size.
  if (declared < numel * elem)
    fail(`storage file ${entry} has ${declared} bytes, ${numel} × ${type.name} need ${numel * elem}`);
  let raw = zip.read(entry);
  if (raw.length < numel * elem)
    fail(`storage file ${entry} has ${raw.length} bytes, ${numel} × ${type.name} need ${numel * elem}`);
  raw = raw.subarray(0, numel * elem);
  if (bigEndian && elem > 1) {
    const swapped = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += elem) for (let j = 0; j < elem; j++) swapped[i + j] = raw[i + elem - 1 - j];
    raw = swapped;
  }
  return typedFromBytes(type.dtype!, raw, type.bf16);
}

/** Copies a strided view out in row-major order. */
function materialise(t: LazyTensor, key: string, fail: (m: string) => never): NamedArray {
  const { storage, offset, size, stride } = t;
  const n = checkedNumel(size, () => `tensor "${key}"`);
  const dtype = storage.type.dtype!;
  let last = offset;
  for (let d = 0; d < size.length; d++) if (size[d] > 0) last += (size[d] - 1) * stride[d];
  if (n > 0 && last >= storage.numel)
    fail(
      `tensor "${key}": view (offset ${offset}, size [${size}], stride [${stride}]) runs past its storage of ${storage.numel} elements`,
    );
  const src = storage.data;
  let contiguous = true;
  for (let d = size.length - 1, s = 1; d >= 0; s *= size[d], d--)
    if (size[d] !== 1 && stride[d] !== s) contiguous = false;
  if (contiguous || n === 0) return { dtype, shape: [...size], data: src.slice(offset, offset + n) };
  const out = allocate(dtype, n) as Float64Array; // same class as the storage (bf16 was widened on load)
  const from = src as Float64Array;
  const idx = new Array<number>(size.length).fill(0);
  let at = offset;
  for (let i = 0; i < n; i++) {
    out[i] = from[at];
    for (let d = size.length - 1; d >= 0; d--) {
      at += stride[d];
      if (++idx[d] < size[d]) break;
      at -= stride[d] * size[d];
      idx[d] = 0;
    }
  }
  return { dtype, shape: [...size], data: out };
}

function isModule(v: unknown): boolean {
  if (!(v instanceof PyObject)) return false;
  const state = v.state;
  return (
    v.cls.startsWith('torch.nn.') ||
    (state instanceof PyDict && (state.items.has('_modules') || state.items.has('_parameters')))
  );
}

function tensorDict(v: unknown): v is PyDict {
  return v instanceof PyDict && [...v.items].every(([k, x]) => typeof k === 'string' && x instanceof LazyTensor);
}

function pickStateDict(root: unknown, fail: (m: string) => never): PthContent {
  const toStateDict = (d: PyDict): StateDict =>
    new Map([...d.items].map(([k, t]) => [k as string, materialise(t as LazyTensor, k as string, fail)]));
  const moduleMsg = 'this .pth holds a pickled nn.Module, not a state_dict: save model.state_dict() instead';
  if (tensorDict(root)) return { tensors: toStateDict(root) };
  if (isModule(root)) fail(moduleMsg);
  if (!(root instanceof PyDict)) return fail(`this .pth holds a ${describe(root)}, not a state_dict`);
  for (const k of WRAPPER_KEYS) {
    const inner = root.items.get(k);
    if (tensorDict(inner)) return { tensors: toStateDict(inner), wrapperKey: k };
    if (isModule(inner)) fail(`${moduleMsg} (found under "${k}")`);
  }
  const entries = [...root.items];
  const odd = entries.find(([k, x]) => typeof k !== 'string' || !(x instanceof LazyTensor));
  if (entries.some(([, x]) => x instanceof LazyTensor) && odd) {
    fail(`entry ${JSON.stringify(odd[0])} of the state_dict is a ${describe(odd[1])}, not a tensor`);
  }
  const keys = entries
    .slice(0, 10)
    .map(([k]) => JSON.stringify(k))
    .join(', ');
  return fail(
    `this .pth holds a dict (keys ${keys}${entries.length > 10 ? ', ...' : ''}) but no state_dict: looked for a dict of tensors at the top level and under ${WRAPPER_KEYS.map((k) => `"${k}"`).join(', ')}`,
  );
}
