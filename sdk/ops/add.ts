import type { Tensor } from '../tensor';
import { binaryPrim, lift2, NUMERIC, type TensorLike } from './kit';
import { unbroadcast } from './unbroadcast';

/** ONNX Add (opset 14). VJP: (dy, dy), each summed back to its input's shape. */
export const Add = binaryPrim(
  'Add',
  ([dy], { inputs: [a, b] }) => [unbroadcast(dy!, a!.dims), unbroadcast(dy!, b!.dims)],
  {
    dtypes: NUMERIC,
  },
);

/** `a + b` with numpy broadcasting. `add(x, 1)` promotes the number to x's dtype. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(Add, [x, y], {})[0];
}
