import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { broadcastShapes, FLOATS } from './kit';
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
  vjp: ([dy], { inputs: [a, b] }) => [
    unbroadcast(matmul(dy!, mT(b!)), a!.dims),
    unbroadcast(matmul(mT(a!), dy!), b!.dims),
  ],
};

/** Matrix product with numpy batch broadcasting (both operands rank ≥ 2). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.graph.apply(MatMul, [a, b], {})[0];
}
