import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import type { GatherOptions } from './gather';
import { checkElementIndices, wrapIndices, zeros } from './indexing';
import { scatterElements } from './scatter-elements';

export interface GatherElementsAttrs {
  /** Non-negative axis the indices select along. */
  axis: number;
  /** The caller promises indices >= 0, so the gradient skips mapping negative ones (not lowered). */
  nonNegative?: boolean;
}

/**
 * ONNX GatherElements (opset 13), torch.gather: out[i][j][k] = data[idx[i][j][k]][j][k] for axis 0.
 * VJP: d data = ScatterElements(zeros, idx, dy, axis, reduction 'add') (opset 16; repeated indices sum).
 */
export const GatherElements: Primitive<GatherElementsAttrs> = {
  name: 'GatherElements',
  inputs: ['data', 'indices'],
  nondiff: [1],
  infer([x, idx], { axis }) {
    check(x && idx, 'missing input');
    checkElementIndices(x, idx, axis);
    return [{ dtype: x.dtype, shape: [...idx.shape] }];
  },
  lower(ctx, node) {
    ctx.emit(
      'GatherElements',
      node.inputs.map((t) => ctx.name(t)),
      [ctx.name(node.outputs[0])],
      { axis: { int: node.attrs.axis } },
    );
  },
  vjp([dy], { inputs: [x, idx], attrs: { axis, nonNegative } }) {
    const i = nonNegative ? idx! : wrapIndices(idx!, x!.shape[axis]);
    return [scatterElements(zeros(dy!.graph, dy!.dtype, x!.shape), i, dy!, { axis, reduction: 'add' }), null];
  },
};

/**
 * torch.gather / numpy take_along_axis: picks one element of `x` along `axis` (default 0) per entry of
 * `indices` (int32 or int64, same rank as x, may be negative). Output shape: indices.shape.
 * `nonNegative`: as for `gather`, a promise that lets the gradient skip mapping negative indices.
 */
export function gatherElements(
  x: Tensor,
  indices: Tensor,
  { axis = 0, nonNegative = false }: GatherOptions = {},
): Tensor {
  return x.graph.apply(GatherElements, [x, indices], { axis: axis < 0 ? axis + x.rank : axis, nonNegative })[0];
}
