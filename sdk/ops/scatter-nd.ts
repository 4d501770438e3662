import { fmtDims } from '../dim';
import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { cast } from './cast';
import { gatherND } from './gather-nd';
import { checkIndices, checkReduction, type Reduction, reductionOpset, wrapIndices, zeros } from './indexing';

export interface ScatterNDAttrs {
  reduction: Reduction;
}

/**
 * ONNX ScatterND (opset 13; reduction 'add' needs opset 16): a copy of data with the slices addressed by
 * the index tuples of `indices` replaced by (or, for 'add', incremented by) `updates`.
 * VJP: add: d data = dy, d updates = GatherND(dy, idx). none: d data = dy with the written slices zeroed,
 * d updates = GatherND(dy, idx).
 * NOTE: with 'none' and a repeated index tuple ONNX leaves the result undefined (one of the writes wins),
 * so the gradient is only exact for unique indices: each duplicate gets the cotangent of the slice.
 */
export const ScatterND: Primitive<ScatterNDAttrs> = {
  name: 'ScatterND',
  inputs: ['data', 'indices', 'updates'],
  nondiff: [1],
  infer([x, idx, u], { reduction }) {
    check(x && idx && u, 'missing input');
    checkIndices(idx, ['int64']);
    checkReduction(reduction);
    check(u.dtype === x.dtype, () => `updates dtype ${u.dtype} differs from data dtype ${x.dtype}`);
    check(
      x.rank >= 1 && idx.rank >= 1,
      () => `data and indices need rank >= 1, got ${fmtDims(x.dims)} and ${fmtDims(idx.dims)}`,
    );
    // The index tuples' length must be static; the number of tuples (and data's other dims) may be symbolic.
    const k = idx.dims[idx.rank - 1];
    check(
      typeof k === 'number' && k >= 1 && k <= x.rank,
      () => `index tuples of length ${k} (indices ${fmtDims(idx.dims)}) do not fit data of rank ${x.rank}`,
    );
    const want = [...idx.dims.slice(0, -1), ...x.dims.slice(k as number)];
    check(
      u.dims.join() === want.join(),
      () => `updates ${fmtDims(u.dims)} must have shape ${fmtDims(want)} (indices.shape[:-1] + data.shape[${k}:])`,
    );
    return [{ dtype: x.dtype, shape: [...x.dims] }];
  },
  lower(ctx, node) {
    const r = node.attrs.reduction;
    ctx.emit(
      'ScatterND',
      node.inputs.map((t) => ctx.name(t)),
      [ctx.name(node.outputs[0])],
      r === 'none' ? {} : { reduction: { str: r } },
    );
  },
  minOpset: ({ reduction }) => reductionOpset(reduction),
  vjp([dy], { inputs: [x, idx, u], attrs: { reduction } }) {
    const k = idx!.dims[idx!.rank - 1] as number;
    const i = wrapIndices(idx!, x!.shape.slice(0, k));
    const dx = reduction === 'add' ? dy! : scatterND(dy!, i, zeros(dy!.graph, u!.dtype, u!.dims));
    return [dx, null, gatherND(dy!, i)];
  },
};

/**
 * Writes `updates` into a copy of `data` at the index tuples of `indices` (int64; int32 is cast):
 * `scatterND(zeros, idx, rows, { reduction: 'add' })` accumulates, summing repeated tuples (opset >= 16).
 */
export function scatterND(
  data: Tensor,
  indices: Tensor,
  updates: Tensor,
  { reduction = 'none' }: { reduction?: Reduction } = {},
): Tensor {
  return data.graph.apply(ScatterND, [data, indices.dtype === 'int32' ? cast(indices, 'int64') : indices, updates], {
    reduction,
  })[0];
}
