import { type DType, isFloat, ONNX_ELEM_TYPE } from '../dtype';
import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';

export interface CastAttrs {
  to: DType;
}

/** ONNX Cast (opset 13). VJP: dy cast back to the input's dtype (float to float only; else none). */
export const Cast: Primitive<CastAttrs> = {
  name: 'Cast',
  inputs: ['input'],
  infer([x], { to }) {
    check(x, 'missing input');
    return [{ dtype: to, shape: [...x.dims] }];
  },
  lower(ctx, node) {
    ctx.emit('Cast', [ctx.name(node.inputs[0])], [ctx.name(node.outputs[0])], {
      to: { int: ONNX_ELEM_TYPE[node.attrs.to] },
    });
  },
  vjp: ([dy], { inputs: [x], outputs: [y] }) => [isFloat(x!.dtype) && isFloat(y.dtype) ? cast(dy!, x!.dtype) : null],
};

/** Converts `x` to `to` (returns x when it already has that dtype). */
export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  return x.graph.apply(Cast, [x], { to })[0];
}
