import type { Tensor } from '../tensor';
import { binaryPrim, lift2, NUMERIC, type TensorLike } from './kit';

/** ONNX Greater (opset 13): `a > b` with broadcasting, bool output; no gradient to either input. */
export const Greater = binaryPrim('Greater', () => [null, null], { out: 'bool', dtypes: NUMERIC });

/** `a > b` elementwise (bool); numbers are promoted to the tensor operand's dtype. */
export function greater(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(Greater, [x, y], {})[0];
}
