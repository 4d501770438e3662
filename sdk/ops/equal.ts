import type { Tensor } from '../tensor';
import { binaryPrim, lift2, type TensorLike } from './kit';

/** ONNX Equal (opset 13): bool output, no gradient to either input. */
export const Equal = binaryPrim('Equal', () => [null, null], {
  out: 'bool',
  dtypes: ['float32', 'float64', 'float16', 'int32', 'int64', 'bool'],
});

export function equal(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(Equal, [x, y], {})[0];
}
