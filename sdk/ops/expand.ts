import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { broadcastShapes } from './kit';
import { unbroadcast } from './unbroadcast';

export interface ExpandAttrs {
  shape: number[];
}

/** ONNX Expand (opset 13): numpy broadcast of x to `shape`. VJP: unbroadcast(dy, x.shape). */
export const Expand: Primitive<ExpandAttrs> = {
  name: 'Expand',
  inputs: ['input'],
  infer([x], { shape }) {
    check(x, 'missing input');
    const out = broadcastShapes(x.shape, shape);
    check(out.join() === shape.join(), () => `cannot expand [${x.shape}] to [${shape}]`);
    return [{ dtype: x.dtype, shape: out }];
  },
  lower(ctx, node) {
    ctx.emit('Expand', [ctx.name(node.inputs[0]), ctx.i64(node.attrs.shape)], [ctx.name(node.outputs[0])]);
  },
  vjp: ([dy], { inputs: [x] }) => [unbroadcast(dy!, x!.shape)],
};

/** Broadcasts `x` to exactly `shape` (returns x when it already has that shape). */
export function expandTo(x: Tensor, shape: readonly number[]): Tensor {
  if (x.shape.join() === shape.join()) return x;
  return x.graph.apply(Expand, [x], { shape: [...shape] })[0];
}
