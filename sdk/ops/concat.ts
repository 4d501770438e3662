import { addDims, type Dim, fmtDims, requireStatic } from '../dim';
import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { normAxis } from './kit';
import { slice } from './slice';

export interface ConcatAttrs {
  axis: number;
}

/** ONNX Concat (opset 13). VJP: each input's slice of dy along the axis. */
export const Concat: Primitive<ConcatAttrs> = {
  name: 'Concat',
  inputs: ['inputs...'],
  infer(xs, { axis }) {
    check(xs.length > 0 && xs.every((x) => x), 'needs at least one input');
    const [a] = xs as Tensor[];
    check(axis >= 0 && axis < a.rank, () => `axis ${axis} is out of range for rank ${a.rank}`);
    let total: Dim = 0;
    for (const x of xs as Tensor[]) {
      check(x.dtype === a.dtype, () => `dtypes differ: ${a.dtype} vs ${x.dtype}`);
      check(
        x.rank === a.rank && x.dims.every((s, i) => i === axis || s === a.dims[i]),
        () => `shapes ${fmtDims(a.dims)} and ${fmtDims(x.dims)} differ outside axis ${axis}`,
      );
      total = addDims(total, x.dims[axis]);
    }
    const shape = [...a.dims];
    shape[axis] = total;
    return [{ dtype: a.dtype, shape }];
  },
  lower(ctx, node) {
    ctx.emit(
      'Concat',
      node.inputs.map((t) => ctx.name(t)),
      [ctx.name(node.outputs[0])],
      { axis: { int: node.attrs.axis } },
    );
  },
  vjp([dy], { inputs, attrs: { axis } }) {
    let off = 0;
    return inputs.map((x) => {
      const [n] = requireStatic([x!.dims[axis]], `the gradient of a Concat along axis ${axis}`);
      const part = slice(dy!, { axes: [axis], starts: [off], ends: [off + n] });
      off += n;
      return part;
    });
  },
};

/** Joins tensors along `axis` (negative counts from the end). */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat needs at least one tensor');
  if (xs.length === 1) return xs[0];
  let a = axis;
  try {
    a = normAxis(axis, xs[0].rank);
  } catch {
    // leave it: the shape rule reports the bad axis with the op and module path
  }
  return xs[0].graph.apply(Concat, xs, { axis: a })[0];
}
