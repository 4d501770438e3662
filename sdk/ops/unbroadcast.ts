import { type Dim, mulDims } from '../dim';
import type { Tensor } from '../tensor';
import { expandTo } from './expand';
import { matmul } from './matmul';
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
  if (axes.length < dy.rank && axes.every((a, i) => a === i) && (dy.dtype === 'float32' || dy.dtype === 'float64'))
    return reshape(sumRows(dy, axes.length), shape);
  return reshape(reduceSum(dy, axes, { keepdims: true }), shape);
}

/**
 * The sum over the first `n` axes (a bias's gradient) as ones[1, rows]·dy[rows, rest]. NOTE: ONNX Runtime 1.30's
 * CPU ReduceSum over leading axes is far slower on 2 threads than on 1 (32×49152 → 49152: 0.2 ms on 1 thread,
 * 3–20 ms on 2; docs/performance.md, "SDK examples: the transformer step"); its MatMul is not.
 */
function sumRows(dy: Tensor, n: number): Tensor {
  const rows = mulDims(...dy.dims.slice(0, n));
  const ones = expandTo(dy.graph.scalar(1, dy.dtype), [1, rows]);
  return matmul(ones, reshape(dy, [rows, mulDims(...dy.dims.slice(n))]));
}
