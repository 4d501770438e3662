import type { Tensor } from '../tensor';
import { FLOATS, unaryPrim } from './kit';

/** ONNX Floor (opset 13). VJP: zero almost everywhere (none). */
export const Floor = unaryPrim('Floor', () => [null], { dtypes: FLOATS });

/** Elementwise round towards −∞. */
export function floor(x: Tensor): Tensor {
  return x.graph.apply(Floor, [x], {})[0];
}
