import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { broadcastShapes, graphOf, lift, type TensorLike } from './kit';
import { unbroadcast } from './unbroadcast';

/** ONNX Where (opset 16): `cond ? a : b` with broadcasting. VJP: (–, where(c, dy, 0), where(c, 0, dy)). */
export const Where: Primitive<{}> = {
  name: 'Where',
  inputs: ['condition', 'X', 'Y'],
  nondiff: [0],
  infer([c, a, b]) {
    check(c && a && b, 'missing input');
    check(c.dtype === 'bool', () => `condition must be bool, got ${c.dtype}`);
    check(a.dtype === b.dtype, () => `X and Y dtypes differ: ${a.dtype} vs ${b.dtype}`);
    return [{ dtype: a.dtype, shape: broadcastShapes(broadcastShapes(c.dims, a.dims), b.dims) }];
  },
  lower(ctx, node) {
    ctx.emit(
      'Where',
      node.inputs.map((t) => ctx.name(t)),
      [ctx.name(node.outputs[0])],
    );
  },
  vjp([dy], { inputs: [c, a, b] }) {
    const zero = dy!.graph.scalar(0, dy!.dtype);
    return [null, unbroadcast(where(c!, dy!, zero), a!.dims), unbroadcast(where(c!, zero, dy!), b!.dims)];
  },
};

/** `cond ? a : b` elementwise; numbers are promoted to the tensor operand's dtype. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const g = graphOf(cond);
  const dt = typeof a !== 'number' ? a.dtype : typeof b !== 'number' ? b.dtype : 'float32';
  return g.apply(Where, [cond, lift(a, dt, g), lift(b, dt, g)], {})[0];
}
