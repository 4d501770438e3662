import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { broadcastShapes, FLOATS } from './kit';
import { reshape } from './reshape';
import { transpose } from './transpose';
import { unbroadcast } from './unbroadcast';

/** Swaps the last two axes. */
export function mT(x: Tensor): Tensor {
  const p = x.dims.map((_, i) => i);
  [p[x.rank - 2], p[x.rank - 1]] = [p[x.rank - 1], p[x.rank - 2]];
  return transpose(x, p);
}

/** ONNX MatMul (opset 13), operands of rank ≥ 2 with broadcast batch axes. VJP: dA = dy·Bᵀ, dB = Aᵀ·dy. */
export const MatMul: Primitive<{}> = {
  name: 'MatMul',
  inputs: ['A', 'B'],
  infer([a, b]) {
    check(a && b, 'missing input');
    check(
      a.dtype === b.dtype && FLOATS.includes(a.dtype),
      () => `needs two float tensors of one dtype, got ${a.dtype} and ${b.dtype}`,
    );
    check(
      a.rank >= 2 && b.rank >= 2,
      () => `operands need rank >= 2 (got ${a.rank} and ${b.rank}); reshape vectors to matrices`,
    );
    const [m, k] = a.dims.slice(-2);
    const [k2, n] = b.dims.slice(-2);
    check(k === k2, () => `inner dimensions differ: [..,${m},${k}] x [..,${k2},${n}]`);
    const batch = broadcastShapes(a.dims.slice(0, -2), b.dims.slice(0, -2));
    return [{ dtype: a.dtype, shape: [...batch, m, n] }];
  },
  lower(ctx, node) {
    ctx.emit(
      'MatMul',
      node.inputs.map((t) => ctx.name(t)),
      [ctx.name(node.outputs[0])],
    );
  },
  vjp: ([dy], { inputs: [a, b] }) => [unbroadcast(matmul(dy!, mT(b!)), a!.dims), weightGrad(a!, b!, dy!)],
};

/**
 * dB = Aᵀ·dy summed over the batch axes B lacks. When B is a matrix under a batched A (a Linear's weight), the
 * batch axes are folded into the rows: one [K, rows]·[rows, N] product instead of a batched product with a
 * [batch, K, N] result and a ReduceSum over it (that pair was a fifth of the transformer example's step).
 */
function weightGrad(a: Tensor, b: Tensor, dy: Tensor): Tensor {
  if (b.rank !== 2 || a.rank === 2) return unbroadcast(matmul(mT(a), dy), b.dims);
  const [k, n] = b.dims;
  return matmul(mT(reshape(a, [-1, k])), reshape(dy, [-1, n]));
}

/** Matrix product with numpy batch broadcasting (both operands rank ≥ 2). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.graph.apply(MatMul, [a, b], {})[0];
}
