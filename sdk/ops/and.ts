import type { Tensor } from '../tensor';
import { binaryPrim, lift2, type TensorLike } from './kit';

/** ONNX And (opset 7): logical and of two bool tensors with broadcasting; no gradient. */
export const And = binaryPrim('And', () => [null, null], { out: 'bool', dtypes: ['bool'] });

/** Elementwise logical and (bool in, bool out). */
export function logicalAnd(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(And, [x, y], {})[0];
}
