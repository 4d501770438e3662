import type { Tensor } from '../tensor';
import { binaryPrim, lift2, NUMERIC, type TensorLike } from './kit';

/** ONNX Less (opset 13): `a < b` with broadcasting, bool output; no gradient to either input. */
export const Less = binaryPrim('Less', () => [null, null], { out: 'bool', dtypes: NUMERIC });

/** `a < b` elementwise (bool); numbers are promoted to the tensor operand's dtype. */
export function less(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(Less, [x, y], {})[0];
}
