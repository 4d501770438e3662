import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { checkAxes, wrapAxes } from './kit';
import { reshape } from './reshape';

export interface SqueezeAttrs {
  /** Non-negative axes of length 1 to drop. */
  axes: number[];
}

/** ONNX Squeeze (opset 13, the axes as an int64 input). VJP: reshape dy back to the input shape. */
export const Squeeze: Primitive<SqueezeAttrs> = {
  name: 'Squeeze',
  inputs: ['data'],
  infer([x], { axes }) {
    check(x, 'missing input');
    check(axes.length > 0, 'needs at least one axis (an empty list means "every length-1 axis" in ONNX)');
    checkAxes(axes, x.rank);
    for (const a of axes) check(x.dims[a] === 1, () => `axis ${a} has length ${x.dims[a]}, not 1`);
    return [{ dtype: x.dtype, shape: x.dims.filter((_, i) => !axes.includes(i)) }];
  },
  lower(ctx, node) {
    ctx.emit('Squeeze', [ctx.name(node.inputs[0]), ctx.i64(node.attrs.axes)], [ctx.name(node.outputs[0])]);
  },
  vjp: ([dy], { inputs: [x] }) => [reshape(dy!, x!.dims)],
};

/** Drops length-1 axes: the given ones (negative count from the end), or every length-1 axis. */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const ax = axes ? wrapAxes(axes, x.rank) : x.dims.flatMap((s, i) => (s === 1 ? [i] : []));
  if (ax.length === 0) return x;
  return x.graph.apply(Squeeze, [x], { axes: ax })[0];
}
