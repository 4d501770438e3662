import type { Tensor } from '../tensor';
import { div } from './div';
import { FLOATS, unaryPrim } from './kit';
import { mul } from './mul';

/** ONNX Sqrt (opset 13). VJP: dy / (2y); keeps y. */
export const Sqrt = unaryPrim('Sqrt', ([dy], { outputs: [y] }) => [div(dy!, mul(y, 2))], { dtypes: FLOATS });

/** Elementwise square root. */
export function sqrt(x: Tensor): Tensor {
  return x.graph.apply(Sqrt, [x], {})[0];
}
