import type { Tensor } from '../tensor';
import { cos } from './cos';
import { FLOATS, unaryPrim } from './kit';
import { mul } from './mul';

/** ONNX Sin (opset 7). VJP: dy·cos(x); keeps x. */
export const Sin = unaryPrim('Sin', ([dy], { inputs: [x] }) => [mul(dy!, cos(x!))], { dtypes: FLOATS });

/** Elementwise sine (radians). */
export function sin(x: Tensor): Tensor {
  return x.graph.apply(Sin, [x], {})[0];
}
