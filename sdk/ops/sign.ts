import type { Tensor } from '../tensor';
import { NUMERIC, unaryPrim } from './kit';

/** ONNX Sign (opset 13): −1, 0 or 1. VJP: zero almost everywhere (none). */
export const Sign = unaryPrim('Sign', () => [null], { dtypes: NUMERIC });

/** Elementwise sign: −1 for x < 0, 0 for x = 0, 1 for x > 0. */
export function sign(x: Tensor): Tensor {
  return x.graph.apply(Sign, [x], {})[0];
}
