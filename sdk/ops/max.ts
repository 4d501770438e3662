import type { VjpRule } from '../primitive';
import type { Tensor } from '../tensor';
import { equal } from './equal';
import { greater } from './greater';
import { binaryPrim, lift2, NUMERIC, type TensorLike } from './kit';
import { mul } from './mul';
import { unbroadcast } from './unbroadcast';
import { where } from './where';

/**
 * VJP of a binary max/min: dy goes to the winning operand, split 0.5/0.5 on ties (torch.maximum/minimum).
 * `aWins(a, b)` is the strict comparison under which `a` is selected.
 */
export function selectVjp(aWins: (a: Tensor, b: Tensor) => Tensor): VjpRule<{}> {
  return ([dy], { inputs: [a, b] }) => {
    const tie = where(equal(a!, b!), mul(dy!, 0.5), 0);
    return [unbroadcast(where(aWins(a!, b!), dy!, tie), a!.dims), unbroadcast(where(aWins(b!, a!), dy!, tie), b!.dims)];
  };
}

/** ONNX Max (opset 13) with two inputs and broadcasting. VJP: dy to the larger operand, halves on ties; keeps a, b. */
export const Max = binaryPrim('Max', selectVjp(greater), { dtypes: NUMERIC });

/** Elementwise maximum of `a` and `b` with broadcasting (torch.maximum). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = lift2(a, b);
  return x.graph.apply(Max, [x, y], {})[0];
}
