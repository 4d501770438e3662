import type { Tensor } from '../tensor';
import { FLOATS, unaryPrim } from './kit';
import { mul } from './mul';
import { sub } from './sub';

/** ONNX Tanh (opset 13). VJP: dy·(1 − y²); keeps y. */
export const Tanh = unaryPrim('Tanh', ([dy], { outputs: [y] }) => [mul(dy!, sub(1, mul(y, y)))], { dtypes: FLOATS });

/** Elementwise hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  return x.graph.apply(Tanh, [x], {})[0];
}
