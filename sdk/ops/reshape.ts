import { type Dim, divDims, fmtDims, isStatic, isSym, numelDims } from '../dim';
import { check } from '../errors';
import type { AttrValue, LowerCtx, Primitive } from '../primitive';
import type { Node, Tensor } from '../tensor';

export interface ReshapeAttrs {
  /** The full target shape (no -1 left; symbolic dims allowed). A literal 0 is a zero-length axis. */
  shape: Dim[];
}

/**
 * ONNX Reshape (opset 13; 14 when the target has a 0 dim) to a known shape. VJP: reshape dy back to the
 * input shape. Symbolic targets never bake a size: a symbolic dim at the input's own position is written 0
 * (copy), one other symbolic dim -1 (inferred), and anything more is computed from Shape (sdk/dim-lower.ts).
 */
export const Reshape: Primitive<ReshapeAttrs> = {
  name: 'Reshape',
  inputs: ['data'],
  infer([x], { shape }) {
    check(x, 'missing input');
    check(
      shape.every((s) => isSym(s) || (Number.isInteger(s) && s >= 0)),
      () => `invalid target shape ${fmtDims(shape)}`,
    );
    const have = numelDims(x.dims);
    const want = numelDims(shape);
    check(have === want, () =>
      isStatic(x.dims) && isStatic(shape)
        ? `cannot reshape ${have} elements to [${shape}]`
        : `cannot reshape ${fmtDims(x.dims)} (${have} elements) to ${fmtDims(shape)} (${want}): the sizes are not equal for every value of the symbolic dims`,
    );
    return [{ dtype: x.dtype, shape: [...shape] }];
  },
  // NOTE: ONNX reads a 0 in the target shape as "copy the input's dim" unless allowzero=1 (opset 14).
  minOpset: ({ shape }) => (shape.includes(0) ? 14 : 13),
  lower(ctx, node) {
    const { shape } = node.attrs;
    const allowzero: Record<string, AttrValue> = shape.includes(0) ? { allowzero: { int: 1 } } : {};
    ctx.emit(
      'Reshape',
      [ctx.name(node.inputs[0]), isStatic(shape) ? ctx.i64(shape) : symbolicTarget(ctx, node)],
      [ctx.name(node.outputs[0])],
      allowzero,
    );
  },
  vjp: ([dy], { inputs: [x] }) => [reshape(dy!, x!.dims)],
};

/** The target of a symbolic Reshape: 0 = copy, then at most one -1, else a shape computed at run time. */
function symbolicTarget(ctx: LowerCtx, node: Node<ReshapeAttrs>): string {
  const x = node.inputs[0]!;
  const { shape } = node.attrs;
  if (!shape.includes(0)) {
    const code = shape.map((d, i) => (isSym(d) && x.dims[i] === d ? 0 : d));
    const left = code.filter(isSym);
    if (left.length <= 1) return ctx.i64(code.map((d) => (isSym(d) ? -1 : d)));
  }
  return ctx.shape(shape, [x]);
}

/** Reshape to `shape`; one entry may be -1 (inferred). Returns `x` itself when the shape is unchanged. */
export function reshape(x: Tensor, shape: readonly Dim[]): Tensor {
  const target = [...shape];
  const neg = target.indexOf(-1);
  if (neg >= 0) {
    const rest = numelDims(target.filter((_, i) => i !== neg));
    const inferred = rest === 0 ? null : divDims(numelDims(x.dims), rest);
    target[neg] = inferred ?? -1;
  }
  if (target.join() === x.dims.join()) return x;
  return x.graph.apply(Reshape, [x], { shape: target })[0];
}
