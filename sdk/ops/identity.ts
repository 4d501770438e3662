import type { Tensor } from '../tensor';
import { unaryPrim } from './kit';

/** ONNX Identity (opset 13). VJP: dy. */
export const Identity = unaryPrim('Identity', ([dy]) => [dy]);

/** A copy of `x` as a new value (useful to give a value its own name or module path). */
export function identity(x: Tensor): Tensor {
  return x.graph.apply(Identity, [x], {})[0];
}
