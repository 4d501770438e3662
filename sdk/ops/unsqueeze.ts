import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { checkAxes, wrapAxes } from './kit';
import { reshape } from './reshape';

export interface UnsqueezeAttrs {
  /** Non-negative positions of the new length-1 axes in the output. */
  axes: number[];
}

/** ONNX Unsqueeze (opset 13, the axes as an int64 input). VJP: reshape dy back to the input shape. */
export const Unsqueeze: Primitive<UnsqueezeAttrs> = {
  name: 'Unsqueeze',
  inputs: ['data'],
  infer([x], { axes }) {
    check(x, 'missing input');
    check(axes.length > 0, 'needs at least one axis');
    const rank = x.rank + axes.length;
    checkAxes(axes, rank);
    const rest = [...x.dims];
    return [{ dtype: x.dtype, shape: Array.from({ length: rank }, (_, i) => (axes.includes(i) ? 1 : rest.shift()!)) }];
  },
  lower(ctx, node) {
    ctx.emit('Unsqueeze', [ctx.name(node.inputs[0]), ctx.i64(node.attrs.axes)], [ctx.name(node.outputs[0])]);
  },
  vjp: ([dy], { inputs: [x] }) => [reshape(dy!, x!.dims)],
};

/** Inserts length-1 axes at `axes`, positions in the output (negative count from its end). */
export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  if (axes.length === 0) return x;
  return x.graph.apply(Unsqueeze, [x], { axes: wrapAxes(axes, x.rank + axes.length) })[0];
}
