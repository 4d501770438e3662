import { type Dim, isStatic } from '../dim';
import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { broadcastShapes } from './kit';
import { unbroadcast } from './unbroadcast';

export interface ExpandAttrs {
  shape: Dim[];
}

/** ONNX Expand (opset 13): numpy broadcast of x to `shape`. VJP: unbroadcast(dy, x.shape). */
export const Expand: Primitive<ExpandAttrs> = {
  name: 'Expand',
  inputs: ['input'],
  infer([x], { shape }) {
    check(x, 'missing input');
    const out = broadcastShapes(x.dims, shape);
    check(out.join() === shape.join(), () => `cannot expand [${x.dims}] to [${shape}]`);
    return [{ dtype: x.dtype, shape: out }];
  },
  lower(ctx, node) {
    const x = node.inputs[0]!;
    const { shape } = node.attrs;
    // A symbolic dim x already has is written 1 (Expand broadcasts it); only the others are read at run time.
    const lead = shape.length - x.rank;
    const target = isStatic(shape)
      ? shape
      : shape.map((d, i) => (typeof d === 'string' && x.dims[i - lead] === d ? 1 : d));
    ctx.emit('Expand', [ctx.name(x), ctx.shape(target, [x])], [ctx.name(node.outputs[0])]);
  },
  vjp: ([dy], { inputs: [x] }) => [unbroadcast(dy!, x!.dims)],
};

/** Broadcasts `x` to exactly `shape` (returns x when it already has that shape). */
export function expandTo(x: Tensor, shape: readonly Dim[]): Tensor {
  if (x.dims.join() === shape.join()) return x;
  return x.graph.apply(Expand, [x], { shape: [...shape] })[0];
}
