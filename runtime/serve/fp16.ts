import { onnx } from '../../sdk/onnx/generated/onnx';
import { toHalf } from '../../sdk/half';
import { cloneOnnx, type OnnxModel, type OnnxNode, type OnnxValueInfo } from '../engine/onnx-file';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

/** Inputs that ONNX requires to stay float32 whatever the data type (Resize's roi and scales). */
const KEEP_FLOAT32: Record<string, number[]> = { Resize: [1, 2] };

const INT64 = onnx.TensorProto.DataType.INT64;
const BOOL = onnx.TensorProto.DataType.BOOL;
const INTEGER_TYPES = new Set([INT64, onnx.TensorProto.DataType.INT32, BOOL, onnx.TensorProto.DataType.UINT8]);
/** Ops whose output has the type of their first input (shape arithmetic of symbolic dims uses these on int64). */
const SAME_TYPE = new Set([
  'Gather',
  'Concat',
  'Mul',
  'Add',
  'Sub',
  'Div',
  'Mod',
  'Slice',
  'Squeeze',
  'Unsqueeze',
  'Reshape',
  'ReduceProd',
  'Range',
  'Identity',
  'Max',
  'Min',
  'Neg',
  'Abs',
  'Expand',
]);
const COMPARISONS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor']);

/**
 * The integer or bool type of a node's untyped output, when the node's op says so (Shape, a Cast to an integer, a
 * comparison, shape arithmetic on integers); null otherwise. Float intermediates stay untyped on purpose (see below).
 */
function integerOutputType(n: OnnxNode, type: ReadonlyMap<string, number>): number | null {
  if (n.opType === 'Shape' || n.opType === 'Size') return INT64;
  if (COMPARISONS.has(n.opType)) return BOOL;
  if (n.opType === 'Cast') {
    const to = Number(n.attribute.find((a) => a.name === 'to')?.i ?? 0);
    return INTEGER_TYPES.has(to) ? to : null;
  }
  const first = type.get(n.input[0] ?? '');
  return SAME_TYPE.has(n.opType) && first !== undefined && INTEGER_TYPES.has(first) ? first : null;
}

/** Ops whose float inputs are not data (or whose attributes name a type): never converted. */
const NEVER = new Set([
  'Cast',
  'CastLike',
  'ConstantOfShape',
  'Constant',
  'Shape',
  'Size',
  'Range',
  'EyeLike',
  'RandomNormal',
  'RandomUniform',
]);

/**
 * Op types computed in float16 by the `ops` policy: convolutions and products, elementwise arithmetic and
 * activations, pooling, resampling and layout. Everything else stays float32, in particular reductions
 * (ReduceMean/ReduceSum: sums of many float16 terms lose digits and overflow past 65504), Softmax and
 * LogSoftmax, Exp/Log/Pow/Sqrt/Reciprocal (range), the ONNX normalisation ops and comparisons.
 */
export const FLOAT16_OPS: ReadonlySet<string> = new Set([
  'Conv',
  'ConvTranspose',
  'MatMul',
  'Gemm',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Neg',
  'Abs',
  'Clip',
  'Max',
  'Min',
  'Where',
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Elu',
  'Selu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Erf',
  'Gelu',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Resize',
  'Concat',
  'Split',
  'Slice',
  'Pad',
  'Reshape',
  'Flatten',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Expand',
  'Tile',
  'Identity',
  'Gather',
  'Dropout',
]);

export interface Float16Options {
  /**
   * Which nodes compute in float16. `ops` (default): nodes whose op type is in FLOAT16_OPS (any model);
   * `network`: every node inside a named module of the GVSL graphs (FLOAT16_MODULES); `conv`: only Conv
   * nodes; or a predicate on the node.
   */
  policy?: 'ops' | 'network' | 'conv' | ((node: OnnxNode) => boolean);
  /**
   * Restricts the policy to nodes whose names start with one of these module paths (node names are
   * `module.path/Op`); default: the whole graph. GVSL's export passes FLOAT16_MODULES, keeping its warps
   * and affine arithmetic in float32.
   */
  scope?: readonly string[];
}

/** What a conversion did: converted nodes by op type, and the float nodes kept in float32 with the reason. */
export interface Float16Report {
  converted: Record<string, number>;
  kept: { name: string; opType: string; reason: 'op type' | 'outside scope' | 'untyped intermediate' }[];
  /** Initializers now stored as float16. */
  halfInitializers: number;
  /** What a user should know: nothing converted, or convolutions/products (most of the compute) left float32. */
  warnings: string[];
}

/** The op types that hold most of a network's compute: left in float32, the conversion gains little. */
const COMPUTE_OPS = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);

/** One line: `float16: 12 nodes (Conv 4, Add 4, …), 8 weights; float32 kept: 6 nodes (ReduceMean 4 [op type], …)`. */
export function formatFloat16Report(r: Float16Report): string {
  const byType = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  const kept: Record<string, number> = {};
  for (const k of r.kept) kept[`${k.opType} [${k.reason}]`] = (kept[`${k.opType} [${k.reason}]`] ?? 0) + 1;
  return (
    `float16: ${total(r.converted)} nodes (${byType(r.converted) || 'none'}), ${r.halfInitializers} weights; ` +
    `float32 kept: ${r.kept.length} nodes${r.kept.length ? ` (${byType(kept)})` : ''}` +
    r.warnings.map((w) => `; warning: ${w}`).join('')
  );
}

/** Module prefixes whose nodes are plain convolutional network (conv, GroupNorm, activation, pool, resize, concat). */
export const FLOAT16_MODULES = ['unet.', 'f_conv.', 'sp_conv.', 'res_conv.', 'out_flow', 'head.', 'seg_head.'];

/**
 * The GVSL and segmentation graphs' policy: the op-type policy inside the network modules only (the same
 * nodes as the module policy, measured node for node), so warps and the affine matrix stay float32.
 */
export const GVSL_FLOAT16: Float16Options = { policy: 'ops', scope: FLOAT16_MODULES };

/**
 * A mixed-precision copy of a float32 model: the chosen nodes compute in float16 and their float32
 * weights are stored as float16 (half the bytes); Cast nodes are inserted where a float32 value enters or
 * leaves the float16 region, so the model's inputs and outputs stay float32.
 * NOTE: the default policy keeps the affine matrix and the warps in float32 on purpose: the trilinear
 * sampling builds flat Gather indices from voxel coordinates in float, and float16 represents integers
 * exactly only up to 2048 (a 16³ volume already has 4096 voxels); the angles' Taylor series and the
 * coordinate arithmetic also need float32's 24-bit mantissa for sub-voxel accuracy.
 */
export function convertToFloat16(src: OnnxModel, opts: Float16Options = {}): OnnxModel {
  return toFloat16(src, opts).model;
}

/** `convertToFloat16` with a report of what was converted and what stayed float32 (`formatFloat16Report`). */
export function toFloat16(src: OnnxModel, opts: Float16Options = {}): { model: OnnxModel; report: Float16Report } {
  const model = cloneOnnx(src);
  const g = model.graph;
  const policy = opts.policy ?? 'ops';
  const byPolicy =
    typeof policy === 'function'
      ? policy
      : policy === 'conv'
        ? (n: OnnxNode) => n.opType === 'Conv'
        : policy === 'network'
          ? (n: OnnxNode) => FLOAT16_MODULES.some((p) => n.name.startsWith(p))
          : (n: OnnxNode) => FLOAT16_OPS.has(n.opType);
  const inScope = (n: OnnxNode) => !opts.scope || opts.scope.some((p) => n.name.startsWith(p));

  // Element types and value infos of every named value.
  const type = new Map<string, number>();
  const info = new Map<string, OnnxValueInfo>();
  for (const v of [...g.input, ...g.output, ...g.valueInfo]) {
    type.set(v.name, v.type?.tensorType?.elemType ?? 0);
    info.set(v.name, v);
  }
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  for (const t of g.initializer) type.set(t.name, t.dataType);
  // Integer values computed in the graph (the Shape → Gather → Concat of symbolic dims, index arithmetic) get their
  // type, so that a Reshape or Resize fed by a run-time shape is not mistaken for an untyped float computation.
  for (const n of g.node) {
    for (const o of n.output) {
      if (o === '' || type.has(o)) continue;
      const t = integerOutputType(n, type);
      if (t !== null) type.set(o, t);
    }
  }

  const isF32 = (name: string) => name !== '' && type.get(name) === FLOAT;
  const convert = new Set<OnnxNode>();
  const report: Float16Report = { converted: {}, kept: [], halfInitializers: 0, warnings: [] };
  for (const n of g.node) {
    if (n.domain || NEVER.has(n.opType)) continue;
    const values = n.output.concat(n.input);
    const untyped = values.some((v) => v !== '' && !type.has(v));
    const float = values.some(isF32);
    if (!float && !untyped) continue;
    const kept = (reason: Float16Report['kept'][number]['reason']) =>
      report.kept.push({ name: n.name, opType: n.opType, reason });
    if (!inScope(n)) kept('outside scope');
    else if (!byPolicy(n)) kept('op type');
    // Only nodes whose values all have known types, some float32: a value without type information (an
    // intermediate inside one primitive's lowering, e.g. Standardize's variance) keeps its node in float32,
    // which is also where normalisation statistics belong.
    else if (untyped || !float) kept('untyped intermediate');
    else {
      convert.add(n);
      report.converted[n.opType] = (report.converted[n.opType] ?? 0) + 1;
    }
  }
  if (Object.keys(report.converted).length === 0)
    report.warnings.push('no node matched the policy: the model still computes in float32');
  const heavy = report.kept.filter((k) => COMPUTE_OPS.has(k.opType) && k.reason !== 'outside scope');
  if (heavy.length && report.warnings.length === 0) {
    const what = [...new Set(heavy.map((k) => `${k.opType} [${k.reason}]`))].join(', ');
    report.warnings.push(
      `${heavy.length} compute node(s) stay float32 (${what}): add their op types to the policy or the gain is small`,
    );
  }
  const keep = (n: OnnxNode, i: number) => (KEEP_FLOAT32[n.opType] ?? []).includes(i);

  // Initializers read only by converted nodes (at converted positions) are stored as float16.
  const readers = new Map<string, { node: OnnxNode; i: number }[]>();
  g.node.forEach((n) =>
    n.input.forEach((x, i) => {
      if (!readers.has(x)) readers.set(x, []);
      readers.get(x)!.push({ node: n, i });
    }),
  );
  const graphOutputs = new Set(g.output.map((o) => o.name));
  const halfInit = new Set<string>();
  for (const [name, t] of inits) {
    const r = readers.get(name) ?? [];
    if (t.dataType !== FLOAT || r.length === 0 || graphOutputs.has(name)) continue;
    if (r.every(({ node, i }) => convert.has(node) && !keep(node, i))) halfInit.add(name);
  }
  for (const name of halfInit) {
    const t = inits.get(name)!;
    const raw = new Uint8Array(t.rawData); // an aligned copy (a decoded Buffer may be a view into a pool)
    t.rawData = new Uint8Array(toHalf(new Float32Array(raw.buffer, 0, raw.byteLength / 4)).buffer);
    t.dataType = FLOAT16;
    type.set(name, FLOAT16);
  }
  report.halfInitializers = halfInit.size;

  const nodes: OnnxNode[] = [];
  const newInfo: OnnxValueInfo[] = [];
  const withType = (name: string, elemType: number, like: string): OnnxValueInfo => {
    const init = inits.get(like);
    const shape =
      info.get(like)?.type?.tensorType?.shape ?? (init ? { dim: init.dims.map((d) => ({ dimValue: d })) } : undefined);
    return { name, type: { tensorType: { elemType, shape } } };
  };
  const cast = (from: string, to: string, elemType: number) => {
    nodes.push({
      name: `${to}/Cast`,
      opType: 'Cast',
      domain: '',
      input: [from],
      output: [to],
      attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: elemType }],
    });
    newInfo.push(withType(to, elemType, from));
  };
  const half = (x: string) => `${x}::fp16`;
  // Float32 values available under their float16 name (produced in the region, or cast into it).
  const halfDone = new Set<string>();
  for (const n of g.node) {
    if (!convert.has(n)) {
      nodes.push(n);
      continue;
    }
    n.input = n.input.map((x, i) => {
      if (!isF32(x) || keep(n, i)) return x;
      if (!halfDone.has(x)) {
        cast(x, half(x), FLOAT16);
        halfDone.add(x);
      }
      return half(x);
    });
    const back: string[] = [];
    n.output = n.output.map((o) => {
      if (!isF32(o)) return o;
      halfDone.add(o);
      newInfo.push(withType(half(o), FLOAT16, o));
      // Read in float32 by a node outside the region, or a graph output: cast back under the original name.
      if ((readers.get(o) ?? []).some(({ node }) => !convert.has(node)) || graphOutputs.has(o)) back.push(o);
      return half(o);
    });
    nodes.push(n);
    for (const o of back) cast(half(o), o, FLOAT);
  }
  g.node = nodes;
  // Keep value_info for the float32 names still produced (by casts back or unconverted nodes).
  const produced = new Set(g.node.flatMap((n) => n.output));
  g.valueInfo = [...g.valueInfo.filter((v) => produced.has(v.name)), ...newInfo];
  model.producerName = `${model.producerName || 'unknown'} + gvsl-onnx fp16`;
  return { model, report };
}
