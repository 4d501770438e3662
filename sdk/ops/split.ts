import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { concat } from './concat';
import { expandTo } from './expand';
import { wrapAxes } from './kit';

export interface SplitAttrs {
  /** Non-negative axis. */
  axis: number;
  /** Length of each part along the axis; they add up to the axis length. */
  sizes: number[];
}

/**
 * ONNX Split (opset 13, the sizes as an int64 input), one output per part. VJP: dx = concat of the parts'
 * cotangents along the axis, zeros for parts that got none.
 */
export const Split: Primitive<SplitAttrs> = {
  name: 'Split',
  inputs: ['input'],
  infer([x], { axis, sizes }) {
    check(x, 'missing input');
    check(
      Number.isInteger(axis) && axis >= 0 && axis < x.rank,
      () => `axis ${axis} is out of range for rank ${x.rank}`,
    );
    check(
      sizes.length > 0 && sizes.every((s) => Number.isInteger(s) && s >= 0),
      () => `invalid split sizes [${sizes}]`,
    );
    const total = sizes.reduce((a, b) => a + b, 0);
    check(
      total === x.dims[axis],
      () => `split sizes [${sizes}] add up to ${total}, but axis ${axis} has length ${x.dims[axis]}`,
    );
    return sizes.map((s) => ({ dtype: x.dtype, shape: x.dims.map((d, i) => (i === axis ? s : d)) }));
  },
  lower(ctx, node) {
    const { axis, sizes } = node.attrs;
    ctx.emit(
      'Split',
      [ctx.name(node.inputs[0]), ctx.i64(sizes)],
      node.outputs.map((t) => ctx.name(t)),
      { axis: { int: axis } },
    );
  },
  vjp(dys, { outputs, attrs: { axis } }) {
    const parts = outputs.map((y, i) => dys[i] ?? expandTo(y.graph.scalar(0, y.dtype), y.dims));
    return [concat(parts, axis)];
  },
};

/** Splits `x` along `axis` into parts of the given lengths: `split(x, { axis: 0, sizes: [n, n] })`. */
export function split(x: Tensor, { axis = 0, sizes }: { axis?: number; sizes: readonly number[] }): Tensor[] {
  return x.graph.apply(Split, [x], { axis: wrapAxes([axis], x.rank)[0], sizes: [...sizes] });
}
