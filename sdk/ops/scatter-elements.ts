import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { gatherElements } from './gather-elements';
import { checkElementIndices, checkReduction, type Reduction, reductionOpset, wrapIndices, zeros } from './indexing';

export interface ScatterElementsAttrs {
  /** Non-negative axis the indices address. */
  axis: number;
  reduction: Reduction;
}

/**
 * ONNX ScatterElements (opset 13; reduction 'add' needs opset 16), torch.scatter / scatter_add: for
 * axis 0, out[idx[i][j]][j] = updates[i][j] (or += for 'add') on a copy of data.
 * VJP: add: d data = dy, d updates = GatherElements(dy, idx). none: d data = dy with the written entries
 * zeroed, d updates = GatherElements(dy, idx).
 * NOTE: with 'none' and repeated indices ONNX leaves the result undefined, so that gradient is only exact
 * for unique indices.
 */
export const ScatterElements: Primitive<ScatterElementsAttrs> = {
  name: 'ScatterElements',
  inputs: ['data', 'indices', 'updates'],
  nondiff: [1],
  infer([x, idx, u], { axis, reduction }) {
    check(x && idx && u, 'missing input');
    checkReduction(reduction);
    check(u.dtype === x.dtype, () => `updates dtype ${u.dtype} differs from data dtype ${x.dtype}`);
    check(u.shape.join() === idx.shape.join(), () => `updates [${u.shape}] and indices [${idx.shape}] differ`);
    checkElementIndices(x, idx, axis);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
  lower(ctx, node) {
    const { axis, reduction } = node.attrs;
    ctx.emit(
      'ScatterElements',
      node.inputs.map((t) => ctx.name(t)),
      [ctx.name(node.outputs[0])],
      reduction === 'none' ? { axis: { int: axis } } : { axis: { int: axis }, reduction: { str: reduction } },
    );
  },
  minOpset: ({ reduction }) => reductionOpset(reduction),
  vjp([dy], { inputs: [x, idx, u], attrs: { axis, reduction } }) {
    const i = wrapIndices(idx!, x!.shape[axis]);
    const dx = reduction === 'add' ? dy! : scatterElements(dy!, i, zeros(dy!.graph, u!.dtype, u!.shape), { axis });
    return [dx, null, gatherElements(dy!, i, { axis })];
  },
};

/**
 * torch.scatter (`reduction: 'none'`, default) / scatter_add (`'add'`, opset >= 16, repeats sum): writes
 * `updates` into a copy of `data` along `axis` (default 0) at `indices` (int32 or int64, same shape as
 * updates, same rank as data, may be negative).
 */
export function scatterElements(
  data: Tensor,
  indices: Tensor,
  updates: Tensor,
  { axis = 0, reduction = 'none' }: { axis?: number; reduction?: Reduction } = {},
): Tensor {
  return data.graph.apply(ScatterElements, [data, indices, updates], {
    axis: axis < 0 ? axis + data.rank : axis,
    reduction,
  })[0];
}
