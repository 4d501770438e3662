import type { Tensor } from '../tensor';
import { NUMERIC, unaryPrim } from './kit';
import { mul } from './mul';
import { sign } from './sign';

/** ONNX Abs (opset 13). VJP: dy·sign(x) (0 at x = 0, as torch); keeps x. */
export const Abs = unaryPrim('Abs', ([dy], { inputs: [x] }) => [mul(dy!, sign(x!))], { dtypes: NUMERIC });

/** Elementwise |x|. */
export function abs(x: Tensor): Tensor {
  return x.graph.apply(Abs, [x], {})[0];
}
