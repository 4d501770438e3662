import type { Tensor } from '../tensor';
import { NUMERIC, unaryPrim } from './kit';

/** ONNX Neg (opset 13). VJP: −dy. */
export const Neg = unaryPrim('Neg', ([dy]) => [neg(dy!)], { dtypes: NUMERIC });

export function neg(x: Tensor): Tensor {
  return x.graph.apply(Neg, [x], {})[0];
}
