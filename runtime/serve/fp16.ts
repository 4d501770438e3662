import { onnx } from '../../sdk/onnx/generated/onnx';
import { toHalf } from '../../sdk/half';
import { cloneOnnx, type OnnxModel, type OnnxNode, type OnnxValueInfo } from '../engine/onnx-file';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

/** Inputs that ONNX requires to stay float32 whatever the data type (Resize's roi and scales). */
const KEEP_FLOAT32: Record<string, number[]> = { Resize: [1, 2] };

/** Ops whose float inputs are not data (or whose attributes name a type): never converted. */
const NEVER = new Set(['Cast', 'CastLike', 'ConstantOfShape', 'Constant', 'Shape', 'Size', 'Range', 'EyeLike', 'RandomNormal', 'RandomUniform']);

export interface Float16Options {
  /**
   * Which nodes compute in float16. `network` (default): every node inside a named module of the GVSL
   * graphs (the U-Net and the convolutional heads: `unet.`, `f_conv.`, `sp_conv.`, `res_conv.`, `out_flow`,
   * `head.`); `conv`: only Conv nodes; or a predicate on the node.
   */
  policy?: 'network' | 'conv' | ((node: OnnxNode) => boolean);
}

/** Module prefixes whose nodes are plain convolutional network (conv, GroupNorm, activation, pool, resize, concat). */
export const FLOAT16_MODULES = ['unet.', 'f_conv.', 'sp_conv.', 'res_conv.', 'out_flow', 'head.', 'seg_head.'];

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
  const model = cloneOnnx(src);
  const g = model.graph;
  const policy = opts.policy ?? 'network';
  const pick = typeof policy === 'function' ? policy
    : policy === 'conv' ? (n: OnnxNode) => n.opType === 'Conv'
    : (n: OnnxNode) => FLOAT16_MODULES.some((p) => n.name.startsWith(p));

  // Element types and value infos of every named value.
  const type = new Map<string, number>();
  const info = new Map<string, OnnxValueInfo>();
  for (const v of [...g.input, ...g.output, ...g.valueInfo]) {
    type.set(v.name, v.type?.tensorType?.elemType ?? 0);
    info.set(v.name, v);
  }
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  for (const t of g.initializer) type.set(t.name, t.dataType);

  const isF32 = (name: string) => name !== '' && type.get(name) === FLOAT;
  const convert = new Set<OnnxNode>();
  for (const n of g.node) {
    if (n.domain || NEVER.has(n.opType) || !pick(n)) continue;
    // Only nodes whose values all have known types, some float32: a value without type information (an
    // intermediate inside one primitive's lowering, e.g. Standardize's variance) keeps its node in float32,
    // which is also where normalisation statistics belong.
    if (n.output.concat(n.input).some((v) => v !== '' && !type.has(v)) || !n.output.concat(n.input).some(isF32)) continue;
    convert.add(n);
  }
  const keep = (n: OnnxNode, i: number) => (KEEP_FLOAT32[n.opType] ?? []).includes(i);

  // Initializers read only by converted nodes (at converted positions) are stored as float16.
  const readers = new Map<string, { node: OnnxNode; i: number }[]>();
  g.node.forEach((n) => n.input.forEach((x, i) => {
    if (!readers.has(x)) readers.set(x, []);
    readers.get(x)!.push({ node: n, i });
  }));
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

  const nodes: OnnxNode[] = [];
  const newInfo: OnnxValueInfo[] = [];
  const withType = (name: string, elemType: number, like: string): OnnxValueInfo => {
    const init = inits.get(like);
    const shape = info.get(like)?.type?.tensorType?.shape ?? (init ? { dim: init.dims.map((d) => ({ dimValue: d })) } : undefined);
    return { name, type: { tensorType: { elemType, shape } } };
  };
  const cast = (from: string, to: string, elemType: number) => {
    nodes.push({ name: `${to}/Cast`, opType: 'Cast', domain: '', input: [from], output: [to], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: elemType }] });
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
  return model;
}
