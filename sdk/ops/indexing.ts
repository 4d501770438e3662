/** Shared pieces of the index primitives (Gather, GatherElements, GatherND, ScatterND, ScatterElements). */
import type { Dim } from '../dim';
import { allocate, type DType } from '../dtype';
import { check } from '../errors';
import type { Graph } from '../graph';
import type { Tensor } from '../tensor';
import { add } from './add';
import { expandTo } from './expand';
import { less } from './less';
import { where } from './where';

/** How a scatter combines an update with what is already there. */
export type Reduction = 'none' | 'add';

export const INDEX_DTYPES: readonly DType[] = ['int32', 'int64'];

/** Shape-rule check that `t` is an index tensor of one of `dtypes`. */
export function checkIndices(t: Tensor, dtypes: readonly DType[] = INDEX_DTYPES): void {
  check(dtypes.includes(t.dtype), () => `indices must be ${dtypes.join(' or ')}, got ${t.dtype}`);
}

/**
 * The index rules GatherElements and ScatterElements share: int32/int64 indices of data's rank (>= 1), a valid
 * non-negative axis, and no index axis longer than data's except `axis`.
 */
export function checkElementIndices(x: Tensor, idx: Tensor, axis: number): void {
  checkIndices(idx);
  check(
    x.rank >= 1 && idx.rank === x.rank,
    () => `indices [${idx.shape}] must have the rank of data [${x.shape}] (>= 1)`,
  );
  check(Number.isInteger(axis) && axis >= 0 && axis < x.rank, () => `axis ${axis} is out of range for rank ${x.rank}`);
  check(
    idx.shape.every((s, i) => i === axis || s <= x.shape[i]),
    () => `indices [${idx.shape}] exceed data [${x.shape}] on an axis other than ${axis}`,
  );
}

export function checkReduction(r: Reduction): void {
  check(r === 'none' || r === 'add', () => `reduction '${r}' is not supported (expects 'none' or 'add')`);
}

/** The `reduction` attribute needs opset 16; without it (opset 13) a scatter overwrites. */
export const reductionOpset = (r: Reduction): number => (r === 'none' ? 13 : 16);

/** Zeros of `shape`, as an Expand of one scalar (a full-size initializer would bloat the model). */
export function zeros(g: Graph, dtype: DType, shape: readonly Dim[]): Tensor {
  return expandTo(g.constant(allocate(dtype, 1), dtype, []), shape);
}

/**
 * Maps indices in [-dim, dim) to [0, dim) with `where(i < 0, i + dim, i)`; `dims` is one length, or one
 * per component of the last axis (GatherND-style index tuples). Constant non-negative indices pass as is.
 * NOTE: ONNX lets every gather and scatter take negative indices, but the scatters of the VJPs are the hot
 * path on every execution provider, so they get indices no kernel can misread, for three cheap ops.
 */
export function wrapIndices(idx: Tensor, dims: number | readonly number[]): Tensor {
  if (idx.source.kind === 'const' && Array.from(idx.source.data as ArrayLike<number | bigint>).every((v) => v >= 0))
    return idx;
  const g = idx.graph;
  const d = typeof dims === 'number' ? g.scalar(dims, idx.dtype) : g.constant([...dims], idx.dtype, [dims.length]);
  return where(less(idx, 0), add(idx, d), idx);
}

export const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
