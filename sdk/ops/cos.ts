import type { Tensor } from '../tensor';
import { FLOATS, unaryPrim } from './kit';
import { mul } from './mul';
import { neg } from './neg';
import { sin } from './sin';

/** ONNX Cos (opset 7). VJP: −dy·sin(x); keeps x. */
export const Cos = unaryPrim('Cos', ([dy], { inputs: [x] }) => [neg(mul(dy!, sin(x!)))], { dtypes: FLOATS });

/** Elementwise cosine (radians). */
export function cos(x: Tensor): Tensor {
  return x.graph.apply(Cos, [x], {})[0];
}
