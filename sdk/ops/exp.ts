import type { Tensor } from '../tensor';
import { FLOATS, unaryPrim } from './kit';
import { mul } from './mul';

/** ONNX Exp (opset 13). VJP: dy·y; keeps y. */
export const Exp = unaryPrim('Exp', ([dy], { outputs: [y] }) => [mul(dy!, y)], { dtypes: FLOATS });

/** Elementwise e^x. */
export function exp(x: Tensor): Tensor {
  return x.graph.apply(Exp, [x], {})[0];
}
