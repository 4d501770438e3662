import { check } from '../errors';
import type { LowerCtx, OutputType, Primitive } from '../primitive';
import type { Node, Tensor } from '../tensor';
import { expandTo } from './expand';
import { checkAxes, NUMERIC, wrapAxes } from './kit';
import { reshape } from './reshape';

export interface ReduceAttrs {
  /** Non-negative, non-empty axes. */
  axes: number[];
  keepdims: boolean;
}

/** Output type of a reduction over `axes`. Shared by the Reduce* primitives. */
export function reduceInfer([x]: readonly (Tensor | null)[], { axes, keepdims }: ReduceAttrs): OutputType[] {
  check(x, 'missing input');
  check(NUMERIC.includes(x.dtype), () => `dtype ${x.dtype} is not numeric`);
  check(axes.length > 0, 'needs at least one axis (an empty list means "all axes" in ONNX)');
  checkAxes(axes, x.rank);
  const shape = keepdims
    ? x.dims.map((s, i) => (axes.includes(i) ? 1 : s))
    : x.dims.filter((_, i) => !axes.includes(i));
  return [{ dtype: x.dtype, shape }];
}

/**
 * Emits one ONNX reduction of `x` over `axes` into `out`; axes are an input from `axesInputSince` (13 for
 * ReduceSum, 18 for the others), an attribute before.
 */
export function emitReduce(
  ctx: LowerCtx,
  opType: string,
  axesInputSince: number,
  x: string,
  axes: number[],
  out: string[],
  keepdims: boolean,
): void {
  const kd = { keepdims: { int: keepdims ? 1 : 0 } };
  if (ctx.opset >= axesInputSince) ctx.emit(opType, [x, ctx.i64(axes)], out, kd);
  else ctx.emit(opType, [x], out, { axes: { ints: axes }, ...kd });
}

/** Lowers a reduction primitive (see emitReduce). */
export function reduceLower(opType: string, axesInputSince: number) {
  return (ctx: LowerCtx, node: Node<ReduceAttrs>): void =>
    emitReduce(
      ctx,
      opType,
      axesInputSince,
      ctx.name(node.inputs[0]),
      node.attrs.axes,
      node.outputs.map((t) => ctx.name(t)),
      node.attrs.keepdims,
    );
}

/** Broadcasts a reduced cotangent back to the input's shape (re-inserting dropped axes first). */
export function unreduce(dy: Tensor, x: Tensor, { axes, keepdims }: ReduceAttrs): Tensor {
  const kept = keepdims
    ? dy
    : reshape(
        dy,
        x.dims.map((s, i) => (axes.includes(i) ? 1 : s)),
      );
  return expandTo(kept, x.dims);
}

/**
 * The number of elements of `x` over `axes`: a JS number when those dims are static (as before symbolic
 * dims existed, so static graphs are unchanged), else a scalar tensor of `dtype` counted at run time (the
 * sum of ones expanded over just those axes: small next to x).
 */
export function countOver(x: Tensor, axes: readonly number[], dtype = x.dtype): number | Tensor {
  const dims = axes.map((a) => x.dims[a]);
  if (dims.every((d) => typeof d === 'number')) return (dims as number[]).reduce((n, d) => n * d, 1);
  const g = x.graph;
  const ones = expandTo(
    g.scalar(1, dtype),
    x.dims.map((d, i) => (axes.includes(i) ? d : 1)),
  );
  return reduceSum(
    ones,
    x.dims.map((_, i) => i),
  );
}

/** ONNX ReduceSum (opset 13). VJP: dx = broadcast(dy) back over the reduced axes. */
export const ReduceSum: Primitive<ReduceAttrs> = {
  name: 'ReduceSum',
  inputs: ['data'],
  infer: reduceInfer,
  lower: reduceLower('ReduceSum', 13),
  vjp: ([dy], { inputs: [x], attrs }) => [unreduce(dy!, x!, attrs)],
};

/** Sum over `axes` (negative axes count from the end): `reduceSum(x, [2, 3, 4], { keepdims: true })`. */
export function reduceSum(x: Tensor, axes: readonly number[], { keepdims = false } = {}): Tensor {
  if (axes.length === 0) return x;
  return x.graph.apply(ReduceSum, [x], { axes: wrapAxes(axes, x.rank), keepdims })[0];
}
