import type { Tensor } from '../tensor';
import { binaryPrim, lift2, NUMERIC, type TensorLike } from './kit';
import { mul } from './mul';
import { neg } from './neg';
import { unbroadcast } from './unbroadcast';

/** ONNX Div (opset 14). VJP: (dy/b, −dy·y/b) with y = a/b. */
export const Div = binaryPrim(
  'Div',
  ([dy], { inputs: [a, b], outputs: [y] }) => {
    const da = div(dy!, b!);
    return [unbroadcast(da, a!.dims), unbroadcast(neg(mul(da, y)), b!.dims)];
  },
  { dtypes: NUMERIC },
);

/** `a / b` elementwise with numpy broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(Div, [x, y], {})[0];
}
