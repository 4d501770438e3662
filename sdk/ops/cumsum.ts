import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { wrapAxes } from './kit';

export interface CumSumAttrs {
  /** Non-negative axis. */
  axis: number;
  /** Leave the current element out: y[i] = Σ_{j<i} x[j]. */
  exclusive: boolean;
  /** Sum from the end of the axis. */
  reverse: boolean;
}

/**
 * ONNX CumSum (opset 13; the axis is an int64 scalar input). VJP: the adjoint of a running sum runs the
 * other way: dx = CumSum(dy) with `reverse` flipped and the same `exclusive`.
 */
export const CumSum: Primitive<CumSumAttrs> = {
  name: 'CumSum',
  inputs: ['x'],
  infer([x], { axis }) {
    check(x, 'missing input');
    check(
      ['float32', 'float64', 'int32', 'int64'].includes(x.dtype),
      () => `dtype ${x.dtype} is not supported (float32|float64|int32|int64)`,
    );
    check(
      Number.isInteger(axis) && axis >= 0 && axis < x.rank,
      () => `axis ${axis} is out of range for rank ${x.rank}`,
    );
    return [{ dtype: x.dtype, shape: [...x.dims] }];
  },
  lower(ctx, node) {
    const { axis, exclusive, reverse } = node.attrs;
    ctx.emit('CumSum', [ctx.name(node.inputs[0]), ctx.i64([axis], true)], [ctx.name(node.outputs[0])], {
      exclusive: { int: exclusive ? 1 : 0 },
      reverse: { int: reverse ? 1 : 0 },
    });
  },
  vjp: ([dy], { attrs }) => [dy!.graph.apply(CumSum, [dy!], { ...attrs, reverse: !attrs.reverse })[0]],
};

/** Running sum along `axis`: `cumsum(x, 1, { exclusive: true })` is [0, x0, x0+x1, ...] along axis 1. */
export function cumsum(x: Tensor, axis: number, { exclusive = false, reverse = false } = {}): Tensor {
  return x.graph.apply(CumSum, [x], { axis: wrapAxes([axis], x.rank)[0], exclusive, reverse })[0];
}
