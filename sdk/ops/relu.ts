import type { Tensor } from '../tensor';
import { greater } from './greater';
import { FLOATS, unaryPrim } from './kit';
import { where } from './where';

/** ONNX Relu (opset 13): max(x, 0). VJP: dy where x > 0, else 0 (slope 0 at x = 0, as torch); keeps x. */
export const Relu = unaryPrim('Relu', ([dy], { inputs: [x] }) => [where(greater(x!, 0), dy!, 0)], { dtypes: FLOATS });

/** Elementwise max(x, 0). */
export function relu(x: Tensor): Tensor {
  return x.graph.apply(Relu, [x], {})[0];
}
