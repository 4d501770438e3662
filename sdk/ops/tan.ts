import type { Tensor } from '../tensor';
import { add } from './add';
import { FLOATS, unaryPrim } from './kit';
import { mul } from './mul';

/**
 * ONNX Tan (opset 7). VJP: dy·(1 + y²); keeps y.
 * NOTE: ORT 1.30's CPU EP has a float32 Tan kernel only (float64 fails at session creation).
 */
export const Tan = unaryPrim('Tan', ([dy], { outputs: [y] }) => [mul(dy!, add(mul(y, y), 1))], { dtypes: FLOATS });

/** Elementwise tangent (radians). */
export function tan(x: Tensor): Tensor {
  return x.graph.apply(Tan, [x], {})[0];
}
