import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { cast } from './cast';
import { checkIndices, wrapIndices, zeros } from './indexing';
import { scatterND } from './scatter-nd';

/**
 * ONNX GatherND (opset 13, batch_dims 0): out[j...] = data[idx[j..., 0], .., idx[j..., k-1]] (a slice of
 * data.shape[k:]). VJP: d data = ScatterND(zeros, idx, dy, reduction 'add') (opset 16; repeats sum).
 */
export const GatherND: Primitive<{}> = {
  name: 'GatherND',
  inputs: ['data', 'indices'],
  nondiff: [1],
  infer([x, idx]) {
    check(x && idx, 'missing input');
    checkIndices(idx, ['int64']);
    check(x.rank >= 1 && idx.rank >= 1, () => `data and indices need rank >= 1, got [${x.shape}] and [${idx.shape}]`);
    const k = idx.shape[idx.rank - 1];
    check(
      k >= 1 && k <= x.rank,
      () => `index tuples of length ${k} (indices [${idx.shape}]) do not fit data of rank ${x.rank}`,
    );
    return [{ dtype: x.dtype, shape: [...idx.shape.slice(0, -1), ...x.shape.slice(k)] }];
  },
  lower(ctx, node) {
    ctx.emit(
      'GatherND',
      node.inputs.map((t) => ctx.name(t)),
      [ctx.name(node.outputs[0])],
    );
  },
  vjp([dy], { inputs: [x, idx] }) {
    const k = idx!.shape[idx!.rank - 1];
    const i = wrapIndices(idx!, x!.shape.slice(0, k));
    return [scatterND(zeros(dy!.graph, dy!.dtype, x!.shape), i, dy!, { reduction: 'add' }), null];
  },
};

/**
 * Gathers slices of `x` addressed by index tuples along the last axis of `indices` (int64; int32 is
 * cast): `gatherND(x, idx)` with idx [m, 2] picks the m slices `x[i0, i1, ...]`. Negative entries count
 * from the end.
 */
export function gatherND(x: Tensor, indices: Tensor): Tensor {
  return x.graph.apply(GatherND, [x, indices.dtype === 'int32' ? cast(indices, 'int64') : indices], {})[0];
}
