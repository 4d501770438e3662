import type { Tensor } from '../tensor';
import { FLOATS, unaryPrim } from './kit';
import { mul } from './mul';
import { sub } from './sub';

/** ONNX Sigmoid (opset 13): 1 / (1 + e^−x). VJP: dy·y·(1 − y); keeps y. */
export const Sigmoid = unaryPrim('Sigmoid', ([dy], { outputs: [y] }) => [mul(dy!, mul(y, sub(1, y)))], {
  dtypes: FLOATS,
});

/** Elementwise logistic function. */
export function sigmoid(x: Tensor): Tensor {
  return x.graph.apply(Sigmoid, [x], {})[0];
}
