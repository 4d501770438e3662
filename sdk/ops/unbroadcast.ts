import type { Dim } from '../dim';
import type { Tensor } from '../tensor';
import { reduceSum } from './reduce-sum';
import { reshape } from './reshape';

/**
 * Sums a cotangent `dy` of a broadcast result back to `shape`: over the leading axes `shape` lacks and the
 * axes where `shape` has 1. The one helper every broadcasting op's VJP uses.
 */
export function unbroadcast(dy: Tensor, shape: readonly Dim[]): Tensor {
  if (dy.dims.join() === shape.join()) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.dims[i] !== 1)) axes.push(i);
  }
  return reshape(reduceSum(dy, axes, { keepdims: true }), shape);
}
