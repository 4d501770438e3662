import { ONNX_ELEM_TYPE } from '../dtype';
import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { cast } from './cast';
import { concat } from './concat';
import { gather } from './gather';
import { zeros } from './indexing';
import { mul } from './mul';
import { reduceSum } from './reduce-sum';
import { reshape } from './reshape';
import { scatterND } from './scatter-nd';
import { slice } from './slice';

const INDEX_TYPES = ['float32', 'float64', 'int32', 'int64'];

/**
 * out[m, :] = Σ_k weights[k, m] · table[indices[k, m], :], for a table [rows, C], indices and weights [K, M]:
 * the K corners of an interpolation (trilinear sampling: K = 8) blended in one pass. Indices must be integers
 * in [0, rows) (not wrapped: out of range fails in ORT's Gather at run time); float32 indices (exact up to
 * 2^24) are accepted because WebGPU has no int64 Reshape kernel: each corner's row is sliced and reshaped in
 * the indices' own dtype and only then cast to int64 (the only path checked on WebGPU).
 * Lowered per corner to Slice → Cast → Gather → Mul, then Adds (opset 13; the gradient's ScatterND add needs
 * 16), so the forward holds ~2 corner-sized [M, C] tensors at a time instead of a [K, M, C] gather.
 *
 * Why a primitive and not gather + mul + reduceSum: the VJP, d table = Σ_k scatterAdd(weights[k] · dy,
 * indices[k]) and d weights[k, m] = Σ_c dy[m, c] · table[indices[k, m], c], RE-GATHERS the corner values from
 * the table in the backward pass. Composed, autodiff kept the [K, M, C] gather and its weighted product alive
 * from the forward until the backward (at 64³ × 32 channels 2 × 256 MiB; at 128³ 2 GiB each, over WebGPU's
 * per-buffer limit). Keeps: table, indices, weights. Indices get no gradient.
 */
export const WeightedGather: Primitive<{}> = {
  name: 'WeightedGather',
  inputs: ['table', 'indices', 'weights'],
  nondiff: [1],
  infer([t, i, w]) {
    check(t && i && w, 'missing input');
    check(t.rank === 2, () => `table must be [rows, C], got ${t.type}`);
    check(t.dtype === 'float32' || t.dtype === 'float64', () => `table must be float32 or float64, got ${t.dtype}`);
    check(INDEX_TYPES.includes(i.dtype), () => `indices must be ${INDEX_TYPES.join(', ')}, got ${i.dtype}`);
    check(i.rank === 2 && i.shape[0] >= 1, () => `indices must be [K, M] with K >= 1, got ${i.type}`);
    check(
      w.dtype === t.dtype && w.shape.join() === i.shape.join(),
      () => `weights ${w.type} must be ${t.dtype}[${i.shape}] (the indices' shape, the table's dtype)`,
    );
    return [{ dtype: t.dtype, shape: [i.shape[1], t.shape[1]] }];
  },
  lower(ctx, node) {
    const [t, i, w] = node.inputs.map((x) => ctx.name(x));
    const [k, m] = node.inputs[1]!.shape;
    const c = node.inputs[0]!.shape[1];
    const w3 = ctx.fresh('weights');
    ctx.emit('Reshape', [w, ctx.i64([k, m, 1])], [w3]);
    // NOTE: every corner's Gather → Mul is emitted before the first Add, so each Add's running sum comes from a
    // LATER node than its new term: ORT's default order (a reverse depth-first walk from the outputs that enters
    // a node's latest-emitted input first; checked with --profile) then finishes the sum of corners 0..j-1
    // before it computes corner j, and ~2 corners are alive at once. Emitted Add by Add, all 8 products came
    // first (the profile showed 8 × 32 MiB at 64³).
    const terms: string[] = [];
    for (let j = 0; j < k; j++) {
      const row = (x: string, label: string): string => {
        const out = ctx.fresh(label);
        ctx.emit('Slice', [x, ctx.i64([j]), ctx.i64([j + 1]), ctx.i64([0])], [out]);
        return out;
      };
      let idx = row(i, `corner${j}_index`);
      if (node.inputs[1]!.dtype !== 'int64') {
        const i64 = ctx.fresh(`corner${j}_index_i64`);
        ctx.emit('Cast', [idx], [i64], { to: { int: ONNX_ELEM_TYPE.int64 } });
        idx = i64;
      }
      const v = ctx.fresh(`corner${j}_value`);
      ctx.emit('Gather', [t, idx], [v], { axis: { int: 0 } }); // [1, M, C]
      const wv = ctx.fresh(`corner${j}_weighted`);
      ctx.emit('Mul', [v, row(w3, `corner${j}_weight`)], [wv]);
      terms.push(wv);
    }
    let acc = terms[0];
    for (let j = 1; j < k; j++) {
      const sum = ctx.fresh(`corner${j}_sum`);
      ctx.emit('Add', [acc, terms[j]], [sum]);
      acc = sum;
    }
    ctx.emit('Reshape', [acc, ctx.i64([m, c])], [ctx.name(node.outputs[0])]);
  },
  vjp([dy], { inputs: [t, i, w] }) {
    const [k, m] = i!.shape;
    // Corner j's row of indices or weights as [M, 1].
    const row = (x: Tensor, j: number) => reshape(slice(x, { axes: [0], starts: [j], ends: [j + 1] }), [m, 1]);
    // NOTE: all updates are built before the ScatterND chain (see the note in `lower`): each scatter's running
    // table is then its latest input and ORT scatters corner j-1 before it computes corner j's update.
    const idxs: Tensor[] = [];
    const updates: Tensor[] = [];
    const dws: Tensor[] = [];
    for (let j = 0; j < k; j++) {
      // NOTE: reshaped before the cast (WebGPU has no int64 Reshape); [M, 1] is ScatterND's index layout.
      const idx = i!.dtype === 'int64' ? row(i!, j) : cast(row(i!, j), 'int64');
      idxs.push(idx);
      updates.push(mul(dy!, row(w!, j)));
      const value = reshape(gather(t!, idx, { nonNegative: true }), [m, t!.shape[1]]);
      dws.push(reshape(reduceSum(mul(dy!, value), [1]), [1, m]));
    }
    const dt = idxs.reduce(
      (acc, idx, j) => scatterND(acc, idx, updates[j], { reduction: 'add' }),
      zeros(dy!.graph, t!.dtype, t!.shape),
    );
    return [dt, null, concat(dws, 0)];
  },
};

/**
 * `weightedGather(table, indices, weights)` → [M, C]: Σ_k weights[k, m] · table[indices[k, m], :], indices
 * [K, M] integers in [0, rows) (float32 or an integer type), weights [K, M] of the table's dtype.
 */
export function weightedGather(table: Tensor, indices: Tensor, weights: Tensor): Tensor {
  return table.graph.apply(WeightedGather, [table, indices, weights], {})[0];
}
