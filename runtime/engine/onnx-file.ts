import * as fs from 'node:fs';
import * as path from 'node:path';
import { BYTES, DTYPE_OF_ONNX, type DType, type TypedArray } from '../../sdk/dtype';
import { writeFileAtomic } from '../../sdk/bytes';
import { ExternalData } from '../../sdk/onnx/external-data';
import { onnx } from '../../sdk/onnx/generated/onnx';
import type { NamedArray, StateDict } from '../../sdk/state';
import { UserError } from './errors';
import { fromHalf } from '../../sdk/half';

/**
 * Decoded ONNX messages as this code reads them: protobufjs gives every repeated field an array and every
 * scalar its default, which its generated types (all fields optional) do not say.
 */
export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: onnx.AttributeProto.$Properties[];
}
export interface OnnxTensor {
  name: string;
  dataType: number;
  dims: number[];
  rawData: Uint8Array;
  dataLocation: number;
  externalData: { key: string; value: string }[];
}
export type OnnxValueInfo = onnx.ValueInfoProto.$Properties & { name: string };
export interface OnnxModel {
  producerName: string;
  docString: string;
  metadataProps: { key: string; value: string }[];
  graph: {
    node: OnnxNode[];
    initializer: OnnxTensor[];
    input: OnnxValueInfo[];
    output: OnnxValueInfo[];
    valueInfo: OnnxValueInfo[];
  };
}

/** Decodes ONNX bytes (external data not resolved: see readOnnx). */
export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  const m = onnx.ModelProto.decode(bytes) as unknown as OnnxModel;
  if (!m.graph) throw new Error('not an ONNX model (no graph)');
  return m;
}

export function encodeModel(m: OnnxModel): Uint8Array {
  return onnx.ModelProto.encode(m as unknown as onnx.ModelProto.$Properties).finish();
}

/** A deep copy. */
export function cloneOnnx(m: OnnxModel): OnnxModel {
  return decodeOnnx(encodeModel(m));
}

/** A graph input or output: name, element type and static shape (symbolic dimensions as -1). */
export interface IoInfo {
  name: string;
  dtype: DType | 'unknown';
  shape: number[];
}

/**
 * Reads an ONNX model; initializers stored as external data (`<file>.data` from `export --external-data`, or
 * any file named by their `location`, relative to the model's folder) are read into the model.
 */
export function readOnnx(file: string): OnnxModel {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(
      `${file}: cannot read the model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let model: OnnxModel;
  try {
    model = decodeOnnx(bytes);
  } catch (e) {
    throw new UserError(`${file}: not an ONNX model (${(e as Error).message})`);
  }
  const files = new Map<string, Uint8Array>();
  for (const t of model.graph.initializer) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
    const where = path.join(path.dirname(file), kv.location ?? '');
    if (!files.has(where)) {
      try {
        files.set(where, fs.readFileSync(where));
      } catch {
        throw new UserError(
          `${file}: its weights are stored in ${where}, which cannot be read: keep the .data file beside the model`,
        );
      }
    }
    const data = files.get(where)!;
    const offset = Number(kv.offset ?? 0);
    const length = kv.length !== undefined ? Number(kv.length) : data.length - offset;
    if (offset + length > data.length)
      throw new UserError(
        `${where}: truncated external data for '${t.name}' (needs ${offset + length} bytes, has ${data.length})`,
      );
    t.rawData = data.subarray(offset, offset + length);
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    t.externalData = [];
  }
  return model;
}

export interface EncodedOnnx {
  model: Uint8Array;
  external?: { location: string; data: Uint8Array };
}

/** ONNX bytes; with `externalData`, initializers of at least `threshold` bytes (default 1024) go to one side file. */
export function encodeOnnx(
  model: OnnxModel,
  opts: { externalData?: { location: string; threshold?: number } } = {},
): EncodedOnnx {
  const ext = opts.externalData;
  if (!ext) return { model: encodeModel(model) };
  const copy = cloneOnnx(model);
  const side = new ExternalData(ext.location, ext.threshold);
  for (const t of copy.graph!.initializer) if (t.rawData) side.place(t, t.rawData);
  return { model: encodeModel(copy), external: { location: ext.location, data: side.bytes() } };
}

/** Writes a model (and `<file>.data` with `externalData`), atomically. */
export function saveOnnx(model: OnnxModel, file: string, opts: { externalData?: boolean } = {}): EncodedOnnx {
  const location = `${path.basename(file)}.data`;
  const out = encodeOnnx(model, { externalData: opts.externalData ? { location } : undefined });
  if (out.external) writeFileAtomic(path.join(path.dirname(file), location), out.external.data);
  writeFileAtomic(file, out.model);
  return out;
}

function io(v: OnnxValueInfo): IoInfo {
  const t = v.type?.tensorType;
  return {
    name: v.name,
    dtype: DTYPE_OF_ONNX[t?.elemType ?? 0] ?? 'unknown',
    shape: (t?.shape?.dim ?? []).map((d) =>
      d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? Number(d.dimValue) : -1,
    ),
  };
}

/** The graph's inputs (initializers excluded) and outputs. */
export function ioInfo(model: OnnxModel): { inputs: IoInfo[]; outputs: IoInfo[] } {
  const g = model.graph;
  const inits = new Set(g.initializer.map((t) => t.name));
  return { inputs: g.input.filter((v) => !inits.has(v.name)).map(io), outputs: g.output.map(io) };
}

/** The initializers as named arrays; float16 ones converted to float32 with `float16AsFloat32`. */
export function initializerArrays(model: OnnxModel, opts: { float16AsFloat32?: boolean } = {}): StateDict {
  const out: StateDict = new Map();
  for (const t of model.graph.initializer) {
    const dtype = DTYPE_OF_ONNX[t.dataType];
    if (!dtype || !t.rawData || t.rawData.byteLength === 0) continue; // typed fields (float_data …) are not written by our exporter
    const raw = new Uint8Array(t.rawData); // an aligned copy (a decoded Buffer may be a view into a pool)
    const n = raw.byteLength / BYTES[dtype];
    const data = typedView(dtype, raw.buffer, n);
    const a: NamedArray = { dtype, shape: t.dims.map(Number), data };
    out.set(
      t.name,
      dtype === 'float16' && opts.float16AsFloat32
        ? { dtype: 'float32', shape: a.shape, data: fromHalf(data as Uint16Array) }
        : a,
    );
  }
  return out;
}

function typedView(dtype: DType, buf: ArrayBufferLike, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, 0, n);
    case 'float64':
      return new Float64Array(buf, 0, n);
    case 'float16':
      return new Uint16Array(buf, 0, n);
    case 'int64':
      return new BigInt64Array(buf, 0, n);
    case 'int32':
      return new Int32Array(buf, 0, n);
    case 'bool':
    case 'uint8':
      return new Uint8Array(buf, 0, n);
  }
}
