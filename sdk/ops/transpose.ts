import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';

export interface TransposeAttrs {
  perm: number[];
}

/** ONNX Transpose (opset 13): out.dims[i] = x.dims[perm[i]]. VJP: transpose by the inverse permutation. */
export const Transpose: Primitive<TransposeAttrs> = {
  name: 'Transpose',
  inputs: ['data'],
  infer([x], { perm }) {
    check(x, 'missing input');
    check(
      perm.length === x.rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i),
      () => `perm [${perm}] is not a permutation of 0..${x.rank - 1}`,
    );
    return [{ dtype: x.dtype, shape: perm.map((p) => x.dims[p]) }];
  },
  lower(ctx, node) {
    ctx.emit('Transpose', [ctx.name(node.inputs[0])], [ctx.name(node.outputs[0])], { perm: { ints: node.attrs.perm } });
  },
  vjp: ([dy], { attrs: { perm } }) => [transpose(dy!, inversePerm(perm))],
};

export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Permutes axes (`perm` defaults to reversing them). Identity permutations return x. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? [...perm] : x.dims.map((_, i) => x.rank - 1 - i);
  if (p.every((v, i) => v === i) && p.length === x.rank) return x;
  return x.graph.apply(Transpose, [x], { perm: p })[0];
}
