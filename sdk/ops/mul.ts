import type { Tensor } from '../tensor';
import { binaryPrim, lift2, NUMERIC, type TensorLike } from './kit';
import { unbroadcast } from './unbroadcast';

/** ONNX Mul (opset 14). VJP: (dy·b, dy·a), each summed back to its input's shape. */
export const Mul = binaryPrim(
  'Mul',
  ([dy], { inputs: [a, b] }) => [unbroadcast(mul(dy!, b!), a!.dims), unbroadcast(mul(dy!, a!), b!.dims)],
  {
    dtypes: NUMERIC,
  },
);

/** `a · b` elementwise with numpy broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(Mul, [x, y], {})[0];
}
