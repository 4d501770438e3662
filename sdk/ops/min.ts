import type { Tensor } from '../tensor';
import { binaryPrim, lift2, NUMERIC, type TensorLike } from './kit';
import { less } from './less';
import { selectVjp } from './max';

/** ONNX Min (opset 13) with two inputs and broadcasting. VJP: dy to the smaller operand, halves on ties; keeps a, b. */
export const Min = binaryPrim('Min', selectVjp(less), { dtypes: NUMERIC });

/** Elementwise minimum of `a` and `b` with broadcasting (torch.minimum). */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(Min, [x, y], {})[0];
}
