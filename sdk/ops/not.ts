import type { Tensor } from '../tensor';
import { unaryPrim } from './kit';

/** ONNX Not (opset 1): logical negation of a bool tensor; no gradient. */
export const Not = unaryPrim('Not', () => [null], { dtypes: ['bool'] });

/** Elementwise logical not (bool in, bool out). */
export function logicalNot(x: Tensor): Tensor {
  return x.graph.apply(Not, [x], {})[0];
}
