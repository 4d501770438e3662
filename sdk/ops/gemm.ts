import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { broadcastShapes, FLOATS } from './kit';
import { mul } from './mul';
import { unbroadcast } from './unbroadcast';

export interface GemmAttrs {
  alpha: number;
  beta: number;
  transA: boolean;
  transB: boolean;
}

/**
 * ONNX Gemm (opset 13): Y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A (likewise B'); C (optional)
 * broadcasts to [M, N]. VJP: dA' = alpha·dy·B'ᵀ, dB' = alpha·A'ᵀ·dy (each one Gemm with the transposes
 * folded into its flags), dC = beta·unbroadcast(dy).
 */
export const Gemm: Primitive<GemmAttrs> = {
  name: 'Gemm',
  inputs: ['A', 'B', 'C?'],
  infer([a, b, c], { alpha, beta, transA, transB }) {
    check(a && b, 'missing input');
    check(
      a.dtype === b.dtype && FLOATS.includes(a.dtype),
      () => `needs float A and B of one dtype, got ${a.dtype} and ${b.dtype}`,
    );
    check(a.rank === 2 && b.rank === 2, () => `A and B must be matrices, got [${a.dims}] and [${b.dims}]`);
    check(Number.isFinite(alpha) && Number.isFinite(beta), () => `alpha ${alpha} and beta ${beta} must be finite`);
    const [m, k] = transA ? [a.dims[1], a.dims[0]] : a.dims;
    const [k2, n] = transB ? [b.dims[1], b.dims[0]] : b.dims;
    check(
      k === k2,
      () =>
        `inner dimensions differ: A'=[${m},${k}] (A [${a.dims}], transA ${transA}) vs B'=[${k2},${n}] (B [${b.dims}], transB ${transB})`,
    );
    if (c) {
      check(c.dtype === a.dtype, () => `C has dtype ${c.dtype}, A has ${a.dtype}`);
      check(
        c.rank <= 2 && broadcastShapes(c.dims, [m, n]).join() === `${m},${n}`,
        () => `C [${c.dims}] does not broadcast to the output [${m},${n}]`,
      );
    }
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
  lower(ctx, node) {
    const { alpha, beta, transA, transB } = node.attrs;
    const [a, b, c] = node.inputs;
    const ins = c ? [a, b, c] : [a, b];
    ctx.emit(
      'Gemm',
      ins.map((t) => ctx.name(t)),
      [ctx.name(node.outputs[0])],
      {
        alpha: { float: alpha },
        beta: { float: beta },
        transA: { int: transA ? 1 : 0 },
        transB: { int: transB ? 1 : 0 },
      },
    );
  },
  vjp([dy], { inputs: [a, b, c], attrs: { alpha, beta, transA, transB } }) {
    const d = dy!;
    // dA' = alpha·dy·B'ᵀ; when transA, dA = (dA')ᵀ = alpha·B'·dyᵀ.
    const da = transA
      ? gemm(b!, d, null, { alpha, transA: transB, transB: true })
      : gemm(d, b!, null, { alpha, transB: !transB });
    // dB' = alpha·A'ᵀ·dy; when transB, dB = (dB')ᵀ = alpha·dyᵀ·A'.
    const db = transB
      ? gemm(d, a!, null, { alpha, transA: true, transB: transA })
      : gemm(a!, d, null, { alpha, transA: !transA });
    const dc = c ? unbroadcast(beta === 1 ? d : mul(d, beta), c.dims) : null;
    return [da, db, dc];
  },
};

/**
 * `alpha·A'·B' + beta·C` for matrices: `gemm(x, w, b, { transB: true })` is torch's `F.linear(x, w, b)`.
 * C may be null or any shape that broadcasts to the [M, N] output.
 */
export function gemm(a: Tensor, b: Tensor, c: Tensor | null = null, o: Partial<GemmAttrs> = {}): Tensor {
  const attrs: GemmAttrs = {
    alpha: o.alpha ?? 1,
    beta: o.beta ?? 1,
    transA: o.transA ?? false,
    transB: o.transB ?? false,
  };
  return a.graph.apply(Gemm, [a, b, c], attrs)[0];
}
