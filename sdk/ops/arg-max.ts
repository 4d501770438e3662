import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { NUMERIC, wrapAxes } from './kit';

export interface ArgMaxAttrs {
  /** Non-negative axis. */
  axis: number;
  keepdims: boolean;
  /** On ties: the last maximum instead of the first. */
  selectLastIndex: boolean;
}

/** ONNX ArgMax (opset 13), int64 indices of the maxima along one axis. Piecewise constant: no gradient. */
export const ArgMax: Primitive<ArgMaxAttrs> = {
  name: 'ArgMax',
  inputs: ['data'],
  infer([x], { axis, keepdims }) {
    check(x, 'missing input');
    check(NUMERIC.includes(x.dtype), () => `dtype ${x.dtype} is not numeric`);
    check(
      Number.isInteger(axis) && axis >= 0 && axis < x.rank,
      () => `axis ${axis} is out of range for rank ${x.rank}`,
    );
    check(x.dims[axis] !== 0, () => `axis ${axis} is empty: there is no maximum`);
    const shape = keepdims ? x.dims.map((s, i) => (i === axis ? 1 : s)) : x.dims.filter((_, i) => i !== axis);
    return [{ dtype: 'int64', shape }];
  },
  lower(ctx, node) {
    const { axis, keepdims, selectLastIndex } = node.attrs;
    ctx.emit('ArgMax', [ctx.name(node.inputs[0])], [ctx.name(node.outputs[0])], {
      axis: { int: axis },
      keepdims: { int: keepdims ? 1 : 0 },
      select_last_index: { int: selectLastIndex ? 1 : 0 },
    });
  },
  vjp: () => [null],
};

/** Index of the maximum along `axis` (the first one on ties, as torch.argmax); int64. */
export function argMax(x: Tensor, { axis = 0, keepdims = false, selectLastIndex = false } = {}): Tensor {
  return x.graph.apply(ArgMax, [x], { axis: wrapAxes([axis], x.rank)[0], keepdims, selectLastIndex })[0];
}
