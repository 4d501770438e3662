import type { Tensor } from '../tensor';
import { div } from './div';
import { FLOATS, unaryPrim } from './kit';

/** ONNX Log (opset 13), natural logarithm. VJP: dy / x; keeps x. */
export const Log = unaryPrim('Log', ([dy], { inputs: [x] }) => [div(dy!, x!)], { dtypes: FLOATS });

/** Elementwise natural logarithm. */
export function log(x: Tensor): Tensor {
  return x.graph.apply(Log, [x], {})[0];
}
