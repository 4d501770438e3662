/** Shared pieces for writing primitives: scalar promotion, axis handling, elementwise factories. */
import { broadcastDims, type Dim } from '../dim';
import type { DType } from '../dtype';
import { check } from '../errors';
import type { Graph } from '../graph';
import { type AttrValue, emitSame, type OutputType, type Primitive, type VjpRule } from '../primitive';
import type { Tensor } from '../tensor';
import type { PrimName } from './names';

/** A tensor, or a JS number promoted to a scalar constant of the other operand's dtype. */
export type TensorLike = Tensor | number;

export function graphOf(...xs: (TensorLike | null | undefined)[]): Graph {
  for (const x of xs) if (x && typeof x !== 'number') return x.graph;
  throw new Error('an op needs at least one tensor argument');
}

export function lift(x: TensorLike, like: DType, g: Graph): Tensor {
  return typeof x === 'number' ? g.scalar(x, like) : x;
}

/** Promotes a (Tensor|number) pair to two tensors of the tensor's dtype. */
export function lift2(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const g = graphOf(a, b);
  const dt = typeof a !== 'number' ? a.dtype : (b as Tensor).dtype;
  return [lift(a, dt, g), lift(b, dt, g)];
}

/** Numpy broadcasting of two shapes (symbolic dims: see `broadcastDims`); throws ShapeError when they do not broadcast. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  return broadcastDims(a, b);
}

/** Normalises a possibly negative axis against `rank`. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  check(Number.isInteger(a) && a >= 0 && a < rank, () => `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Maps negative axes to positive ones without validating (shape rules validate with `checkAxes`). */
export function wrapAxes(axes: readonly number[], rank: number): number[] {
  return axes.map((a) => (a < 0 ? a + rank : a));
}

/** Validates already-wrapped axes inside a shape rule. */
export function checkAxes(axes: readonly number[], rank: number): void {
  for (const a of axes)
    check(Number.isInteger(a) && a >= 0 && a < rank, () => `axis ${a} is out of range for rank ${rank}`);
  check(new Set(axes).size === axes.length, () => `repeated axes [${axes}]`);
}

export function normAxes(axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normAxis(a, rank));
  check(new Set(out).size === out.length, () => `repeated axes [${axes}]`);
  return out;
}

export function requireFloat(t: Tensor | null, what: string): void {
  check(
    t && (t.dtype === 'float32' || t.dtype === 'float64' || t.dtype === 'float16'),
    () => `${what} must be a float tensor, got ${t ? t.dtype : 'none'}`,
  );
}

export function sameDtype(a: Tensor, b: Tensor): void {
  check(a.dtype === b.dtype, () => `dtypes differ: ${a.dtype} vs ${b.dtype}`);
}

/** An elementwise unary primitive lowered to the ONNX op of the same name. */
export function unaryPrim<A = {}>(
  name: PrimName,
  vjp: VjpRule<A>,
  opts: {
    dtypes?: readonly DType[];
    out?: (t: Tensor) => DType;
    onnx?: string;
    attrs?: (a: A) => Record<string, AttrValue>;
  } = {},
): Primitive<A> {
  return {
    name,
    inputs: ['X'],
    infer([x]): OutputType[] {
      check(x, 'missing input');
      if (opts.dtypes)
        check(
          opts.dtypes.includes(x.dtype),
          () => `dtype ${x.dtype} not supported (expects ${opts.dtypes!.join('|')})`,
        );
      return [{ dtype: opts.out ? opts.out(x) : x.dtype, shape: [...x.dims] }];
    },
    lower(ctx, node) {
      emitSame(ctx, node, opts.onnx ?? name, opts.attrs ? opts.attrs(node.attrs) : undefined);
    },
    vjp,
  };
}

/** An elementwise, broadcasting binary primitive lowered to the ONNX op of the same name. */
export function binaryPrim(
  name: PrimName,
  vjp: VjpRule<{}>,
  opts: { dtypes?: readonly DType[]; out?: DType } = {},
): Primitive<{}> {
  return {
    name,
    inputs: ['A', 'B'],
    infer([a, b]) {
      check(a && b, 'missing input');
      sameDtype(a, b);
      if (opts.dtypes)
        check(
          opts.dtypes.includes(a.dtype),
          () => `dtype ${a.dtype} not supported (expects ${opts.dtypes!.join('|')})`,
        );
      return [{ dtype: opts.out ?? a.dtype, shape: broadcastShapes(a.dims, b.dims) }];
    },
    lower(ctx, node) {
      emitSame(ctx, node, name);
    },
    vjp,
  };
}

export const FLOATS: readonly DType[] = ['float32', 'float64', 'float16'];
export const NUMERIC: readonly DType[] = ['float32', 'float64', 'float16', 'int32', 'int64'];
