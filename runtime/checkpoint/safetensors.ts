/**
 * safetensors (Hugging Face): an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {key: string}}` padded with spaces,
 * then the raw little-endian data (offsets relative to its start).
 */
import * as fs from 'node:fs';
import { BYTES, type DType } from '../../sdk/dtype';
import { writeFileAtomic } from '../../sdk/bytes';
import type { NamedArray, StateDict } from '../../sdk/state';
import { bytesOf } from '../../sdk/bytes';
import { CheckpointError, checkedNumel, storageMatches, typedFromBytes } from './bytes';

const DTYPE_OF_ST: Record<string, DType> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  I64: 'int64',
  I32: 'int32',
  U8: 'uint8',
  BOOL: 'bool',
};
const ST_OF_DTYPE = Object.fromEntries(Object.entries(DTYPE_OF_ST).map(([k, v]) => [v, k])) as Record<DType, string>;
// Same bound as the reference implementation, so a corrupt length fails fast instead of allocating.
const MAX_HEADER = 100_000_000;

export interface SafetensorsContent {
  tensors: StateDict;
  metadata: Record<string, string>;
}

/**
 * Parses a safetensors file held in `bytes` (`source` names it in errors). Tensors keep the header's
 * order and are copied into fresh, aligned typed arrays; BF16 entries are widened to float32 (exact).
 */
export function readSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsContent {
  const fail = (msg: string): never => {
    throw new CheckpointError(`${source}: ${msg}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for a safetensors file (truncated?)`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    fail(`header length ${n} exceeds the ${bytes.length - 8} bytes after it (truncated, or not a safetensors file)`);
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + 8, Number(n)).toString('utf8');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const entries = header as Record<string, unknown>;
  const data = bytes.subarray(8 + Number(n));
  const metadata: Record<string, string> = {};
  const tensors: StateDict = new Map();
  const spans: [number, number, string][] = [];
  for (const name of topLevelKeys(text)) {
    const h = entries[name];
    if (name === '__metadata__') {
      if (typeof h !== 'object' || h === null || Object.values(h).some((v) => typeof v !== 'string'))
        fail('__metadata__ must map strings to strings');
      Object.assign(metadata, h);
      continue;
    }
    const where = () => `${source}: tensor "${name}"`;
    if (tensors.has(name)) fail(`tensor "${name}" appears twice in the header`);
    if (typeof h !== 'object' || h === null) fail(`tensor "${name}": header entry is not an object`);
    const { dtype: st, shape, data_offsets: offs } = h as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const bf16 = st === 'BF16';
    const dtype = bf16 ? 'float32' : DTYPE_OF_ST[st as string];
    if (!dtype)
      fail(
        `tensor "${name}": unsupported dtype ${JSON.stringify(st)} (supported: ${Object.keys(DTYPE_OF_ST).join(', ')}, BF16)`,
      );
    const count = checkedNumel(shape, where);
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offs[0] > offs[1]
    ) {
      fail(`tensor "${name}": data_offsets ${JSON.stringify(offs)} is not [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offs as [number, number];
    if (end > data.length)
      fail(
        `tensor "${name}": data_offsets [${begin}, ${end}] run past the ${data.length} data bytes (truncated file?)`,
      );
    const want = count * (bf16 ? 2 : BYTES[dtype]);
    if (end - begin !== want)
      fail(`tensor "${name}": ${end - begin} data bytes, but ${st} ${JSON.stringify(shape)} needs ${want}`);
    if (end > begin) spans.push([begin, end, name]);
    tensors.set(name, {
      dtype,
      shape: [...(shape as number[])],
      data: typedFromBytes(dtype, data.subarray(begin, end), bf16),
    });
  }
  // As the reference reader: no two tensors share bytes (a crafted header could alias one tensor onto another).
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    const [b0, e0, n0] = spans[i - 1];
    const [b1, e1, n1] = spans[i];
    if (b1 < e0)
      fail(
        `tensors "${n0}" [${b0}, ${e0}] and "${n1}" [${b1}, ${e1}] overlap in data_offsets (corrupt or crafted file)`,
      );
  }
  return { tensors, metadata };
}

/** Serialises `tensors` (in their order) and string `metadata` into a safetensors file. */
export function writeSafetensors(tensors: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  // Built by hand: a JS object would move integer-like names ("0") to the front.
  const parts: string[] = [];
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string')
        throw new CheckpointError(`writeSafetensors: metadata "${k}" is a ${typeof v}, not a string`);
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    checkArray(name, t);
    const entry = { dtype: ST_OF_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    offset += t.data.byteLength;
  }
  let json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(json.length / 8) * 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  let at = 8 + padded;
  for (const t of tensors.values()) {
    out.set(bytesOf(t.data), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Reads a safetensors file. */
export function loadSafetensors(file: string): SafetensorsContent {
  return readSafetensors(fs.readFileSync(file), file);
}

/** Writes a safetensors file atomically (temporary file, then rename). */
export function saveSafetensors(file: string, tensors: StateDict, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, writeSafetensors(tensors, metadata));
}

function checkArray(name: string, t: NamedArray): void {
  const where = () => `writeSafetensors: tensor "${name}"`;
  if (name === '__metadata__') throw new CheckpointError(`${where()}: the name is reserved for metadata`);
  if (!(t.dtype in ST_OF_DTYPE)) throw new CheckpointError(`${where()}: unsupported dtype ${t.dtype}`);
  const count = checkedNumel(t.shape, where);
  if (!storageMatches(t.dtype, t.data))
    throw new CheckpointError(`${where()}: a ${t.data.constructor.name} cannot hold ${t.dtype} data`);
  if (t.data.length !== count)
    throw new CheckpointError(`${where()}: ${t.data.length} elements for shape [${t.shape.join(', ')}] (${count})`);
}

/**
 * The top-level keys of a valid JSON object in source order.
 * NOTE: JSON.parse puts integer-like keys ("0", "12") first, which would reorder tensors named that way.
 */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(json.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}
