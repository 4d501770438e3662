import type { Tensor } from '../tensor';
import { binaryPrim, lift2, NUMERIC, type TensorLike } from './kit';
import { neg } from './neg';
import { unbroadcast } from './unbroadcast';

/** ONNX Sub (opset 14). VJP: (dy, −dy), each summed back to its input's shape. */
export const Sub = binaryPrim(
  'Sub',
  ([dy], { inputs: [a, b] }) => [unbroadcast(dy!, a!.dims), unbroadcast(neg(dy!), b!.dims)],
  {
    dtypes: NUMERIC,
  },
);

/** `a − b` with numpy broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(Sub, [x, y], {})[0];
}
