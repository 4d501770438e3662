import * as path from 'node:path';
import { type DType, numel, ONNX_ELEM_TYPE, type TypedArray } from './dtype';
import { bytesOf, writeFileAtomic } from './bytes';
import type { Dim } from './dim';
import { DimLowering } from './dim-lower';
import { BuildError, ShapeError } from './errors';
import { type Graph, liveNodes } from './graph';
import { ExternalData } from './onnx/external-data';
import { onnx } from './onnx/generated/onnx';
import type { AttrValue, LowerCtx } from './primitive';
import type { StateDict } from './state';
import type { Node, Tensor } from './tensor';

export const DEFAULT_OPSET = 17;
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;

export interface ExportOptions {
  /** Target ai.onnx opset (default 17; 13–21 supported). */
  opset?: number;
  /** `initializers` (default): parameters are embedded from `weights`; `inputs`: they are graph inputs. */
  params?: 'initializers' | 'inputs';
  /** Parameter values by name; required for every parameter when `params` is `initializers`. */
  weights?: StateDict;
  /** Store initializers of at least `threshold` bytes (default 1024) in a side file named `location`. */
  externalData?: { location: string; threshold?: number };
  /** Also write value_info for every intermediate (lets `onnx.checker` check our shape rules). Default true. */
  valueInfo?: boolean;
  docString?: string;
  /** ModelProto metadata_props (key/value strings, e.g. the preprocessing a model expects). */
  metadata?: Record<string, string>;
}

export interface ExportedModel {
  model: Uint8Array;
  /** The external-data file's name and bytes, when `externalData` was asked for. */
  external?: { location: string; data: Uint8Array };
  /** Number of ONNX nodes written. */
  nodeCount: number;
}

/** ONNX IR version that goes with an opset (ONNX's own table, as in onnx/helper.py). */
export function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/** A value's type; symbolic dims are written as dim_param. */
function valueInfo(name: string, dtype: DType, shape: readonly Dim[]): onnx.ValueInfoProto.$Properties {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_ELEM_TYPE[dtype],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attributeProto(name: string, v: AttrValue): onnx.AttributeProto.$Properties {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in v) return { name, type: T.INT, i: v.int };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('ints' in v) return { name, type: T.INTS, ints: [...v.ints] };
  if ('floats' in v) return { name, type: T.FLOATS, floats: [...v.floats] };
  return { name, type: T.STRING, s: new TextEncoder().encode(v.str) };
}

/** Lowers a graph to an ONNX ModelProto (plus external data when asked). */
export function exportModel(g: Graph, opts: ExportOptions = {}): ExportedModel {
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new BuildError(
      'export',
      '',
      `opset ${opset} is not supported: choose ${MIN_OPSET}..${MAX_OPSET} (default ${DEFAULT_OPSET})`,
    );
  }
  if (g.outputs.size === 0)
    throw new BuildError('export', '', `graph '${g.name}' has no outputs: call graph.output(name, tensor)`);
  const paramMode = opts.params ?? 'initializers';
  const nodes = liveNodes(g, g.outputs.values());

  const protoNodes: onnx.NodeProto.$Properties[] = [];
  const initializers: onnx.TensorProto.$Properties[] = [];
  const external = opts.externalData ? new ExternalData(opts.externalData.location, opts.externalData.threshold) : null;
  const usedNames = new Set<string>([...g.inputs, ...g.params.values()].map((t) => t.name));
  const emittedConsts = new Set<number>();
  let tmp = 0;

  const addInitializer = (name: string, dtype: DType, shape: readonly number[], data: TypedArray): void => {
    const raw = bytesOf(data);
    const t: onnx.TensorProto.$Properties = { name, dataType: ONNX_ELEM_TYPE[dtype], dims: [...shape] };
    if (external) external.place(t, raw);
    else t.rawData = raw;
    initializers.push(t);
  };

  let current: Node | null = null;
  let emitted = 0;
  // Tensors whose values exist at the current point of the lowering (symbolic dims are read from them).
  const computed = new Set<number>();
  const available = (t: Tensor): boolean => t.source.kind !== 'op' || computed.has(t.id);
  const ctx: LowerCtx = {
    opset,
    name(t) {
      if (!t) return '';
      if (t.source.kind === 'const' && !emittedConsts.has(t.id)) {
        emittedConsts.add(t.id);
        addInitializer(t.name, t.dtype, t.shape, t.source.data);
      }
      return t.name;
    },
    fresh(label) {
      let n: string;
      do n = `${current ? current.name : 'tmp'}/${label}_${tmp++}`;
      while (usedNames.has(n));
      usedNames.add(n);
      return n;
    },
    emit(opType, inputs, outputs, attrs = {}) {
      const name = current ? (emitted === 0 ? current.name : `${current.name}#${emitted}`) : `output/${outputs[0]}`;
      emitted++;
      protoNodes.push({
        name,
        opType,
        input: [...inputs],
        output: [...outputs],
        domain: '',
        attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
      });
    },
    i64(values, scalar = false) {
      const name = ctx.fresh('i64');
      if (scalar && values.length !== 1) throw new Error('i64 scalar needs exactly one value');
      addInitializer(name, 'int64', scalar ? [] : [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
      return name;
    },
    constant(dtype, shape, data) {
      const name = ctx.fresh('const');
      addInitializer(name, dtype, shape, data);
      return name;
    },
    shape(d, prefer) {
      return dims.shape(d, prefer ?? current?.inputs ?? []);
    },
  };
  // Declared after ctx, which reads it only when a node is lowered.
  const dims = new DimLowering(g, ctx, available);

  for (const node of nodes) {
    const need = node.op.minOpset?.(node.attrs) ?? MIN_OPSET;
    if (need > opset) {
      throw new BuildError(
        node.prim,
        node.path,
        `needs ONNX opset >= ${need} but the export targets opset ${opset}; export with opset ${need} or later`,
      );
    }
    current = node;
    emitted = 0;
    try {
      node.op.lower(ctx, node);
    } catch (e) {
      if (e instanceof ShapeError) throw new BuildError(node.prim, node.path, `while lowering: ${e.message}`);
      throw e;
    }
    for (const o of node.outputs) computed.add(o.id);
  }
  current = null;

  // Graph outputs whose requested name differs from the value's own name: the producing node writes the output
  // name directly (its consumers renamed too), or, for an input, a parameter, a constant or a value already
  // renamed for another output, an Identity. ORT ran those Identities as copies: a training step's updated
  // parameters and Adam moments (3 × 94 MiB for GVSL) were copied once more per step.
  const producers = new Map<string, number>();
  protoNodes.forEach((pn, i) => pn.output!.forEach((o) => producers.set(o, i)));
  const renamed = new Map<string, string>();
  const outputs: onnx.ValueInfoProto.$Properties[] = [];
  for (const [name, t] of g.outputs) {
    const src = ctx.name(t);
    if (src !== name) {
      if (usedNames.has(name) || g.nodes.some((n) => n.outputs.some((o) => o.name === name))) {
        throw new BuildError('export', '', `output name '${name}' is already the name of another value in the graph`);
      }
      usedNames.add(name);
      if (producers.has(src) && !renamed.has(src) && !g.outputs.has(src)) renamed.set(src, name);
      else ctx.emit('Identity', [renamed.get(src) ?? src], [name]);
    }
    outputs.push(valueInfo(name, t.dtype, t.dims));
  }
  if (renamed.size) {
    const rename = (xs: string[]) => xs.map((x) => renamed.get(x) ?? x);
    for (const pn of protoNodes) {
      pn.input = rename(pn.input!);
      pn.output = rename(pn.output!);
    }
  }

  const inputs: onnx.ValueInfoProto.$Properties[] = g.inputs.map((t) => valueInfo(t.name, t.dtype, t.dims));
  const liveParams = new Set<string>();
  for (const n of nodes) for (const x of n.inputs) if (x && x.source.kind === 'param') liveParams.add(x.name);
  for (const t of g.outputs.values()) if (t.source.kind === 'param') liveParams.add(t.name);
  for (const [name, t] of g.params) {
    if (!liveParams.has(name)) continue;
    if (paramMode === 'inputs') {
      inputs.push(valueInfo(name, t.dtype, t.shape));
      continue;
    }
    const w = opts.weights?.get(name);
    if (!w)
      throw new BuildError(
        'export',
        '',
        `no weight given for parameter '${name}' (${t.type}); pass weights or export with params: 'inputs'`,
      );
    if (w.dtype !== t.dtype || w.shape.join() !== t.shape.join() || w.data.length !== numel(t.shape)) {
      throw new BuildError('export', '', `weight '${name}' is ${w.dtype}[${w.shape}] but the graph needs ${t.type}`);
    }
    addInitializer(name, t.dtype, t.shape, w.data);
  }

  const info: onnx.ValueInfoProto.$Properties[] = [];
  if (opts.valueInfo ?? true) {
    for (const n of nodes)
      for (const t of n.outputs)
        if (!g.outputs.has(t.name) && !renamed.has(t.name)) info.push(valueInfo(t.name, t.dtype, t.dims));
  }

  const model: onnx.ModelProto.$Properties = {
    irVersion: irVersionFor(opset),
    producerName: 'gvsl-onnx',
    producerVersion: '0.1.0',
    docString: opts.docString ?? '',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: g.name,
      node: protoNodes,
      initializer: initializers,
      input: inputs,
      output: outputs,
      valueInfo: info,
    },
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  const bytes = onnx.ModelProto.encode(model).finish();
  const result: ExportedModel = { model: bytes, nodeCount: protoNodes.length };
  if (external) result.external = { location: external.location, data: external.bytes() };
  return result;
}

/**
 * Exports `g` to `file` (and its external-data file beside it when `externalData` is set; pass
 * `externalData: true` to name it `<file>.data`).
 */
export function saveModel(
  g: Graph,
  file: string,
  opts: Omit<ExportOptions, 'externalData'> & { externalData?: boolean | { threshold?: number } } = {},
): ExportedModel {
  const { externalData, ...rest } = opts;
  const location = `${path.basename(file)}.data`;
  const ext = externalData
    ? { location, threshold: typeof externalData === 'object' ? externalData.threshold : undefined }
    : undefined;
  const out = exportModel(g, { ...rest, externalData: ext });
  if (out.external) writeFileAtomic(path.join(path.dirname(file), location), out.external.data);
  writeFileAtomic(file, out.model);
  return out;
}
