import { numel } from '../dtype';
import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';

export interface ReshapeAttrs {
  /** The full static target shape (no -1 or 0 left). */
  shape: number[];
}

/**
 * ONNX Reshape (opset 13; 14 when the target has a 0 dim) to a static shape. VJP: reshape dy back to the
 * input shape.
 */
export const Reshape: Primitive<ReshapeAttrs> = {
  name: 'Reshape',
  inputs: ['data'],
  infer([x], { shape }) {
    check(x, 'missing input');
    check(shape.every((s) => Number.isInteger(s) && s >= 0), () => `invalid target shape [${shape}]`);
    check(numel(shape) === x.size, () => `cannot reshape ${x.size} elements to [${shape}]`);
    return [{ dtype: x.dtype, shape: [...shape] }];
  },
  // NOTE: ONNX reads a 0 in the target shape as "copy the input's dim" unless allowzero=1 (opset 14).
  minOpset: ({ shape }) => (shape.includes(0) ? 14 : 13),
  lower(ctx, node) {
    const { shape } = node.attrs;
    ctx.emit('Reshape', [ctx.name(node.inputs[0]), ctx.i64(shape)], [ctx.name(node.outputs[0])],
      shape.includes(0) ? { allowzero: { int: 1 } } : {});
  },
  vjp: ([dy], { inputs: [x] }) => [reshape(dy!, x!.shape)],
};

/** Reshape to `shape`; one entry may be -1 (inferred). Returns `x` itself when the shape is unchanged. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = [...shape];
  const neg = target.indexOf(-1);
  if (neg >= 0) {
    const rest = numel(target.filter((_, i) => i !== neg));
    target[neg] = rest > 0 && x.size % rest === 0 ? x.size / rest : -1;
  }
  if (target.join() === x.shape.join()) return x;
  return x.graph.apply(Reshape, [x], { shape: target })[0];
}
