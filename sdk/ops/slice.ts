import { addDims, type Dim, DIM_DEFS } from '../dim';
import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { wrapAxes } from './kit';
import { concat } from './concat';
import { expandTo } from './expand';
import { pad } from './pad';
import { reshape } from './reshape';

export interface SliceAttrs {
  /**
   * Resolved per sliced axis: first index taken, step (non-zero) and number of elements taken. On a symbolic
   * axis the count is symbolic (`N-2`) with step 1, or the axis is reversed whole (step −1, start −1).
   */
  axes: number[];
  starts: number[];
  steps: number[];
  counts: Dim[];
}

const INT64_MIN = -(2 ** 63);
const INT64_MAX = 2 ** 63 - 1;

/** How many elements a step-1 slice of symbolic length `count` leaves after it on an axis of length `dim`. */
function tailOf(dim: Dim, start: number, count: Dim): number {
  if (count === dim) return -start;
  const def = DIM_DEFS.get(count as string);
  if (def?.kind !== 'add' || def.terms.length !== 1 || def.terms[0] !== dim)
    throw new Error(`slice count ${count} is not of the form ${dim}-k`);
  return -def.offset - start;
}

/**
 * Resolves a slice of a symbolic axis: step 1 from a start >= 0 to the end, to a negative end, or to a
 * positive end (a static count; the axis must be at least that long at run time), or a whole reversal.
 */
function resolveSymbolic(
  dim: string,
  start: number | undefined,
  end: number | undefined,
  step: number,
): { start: number; count: Dim } {
  if (step === -1 && start === undefined && end === undefined) return { start: -1, count: dim };
  check(
    step === 1 && (start ?? 0) >= 0,
    () =>
      `axis of symbolic length ${dim} can be sliced only with step 1 from a start >= 0, or reversed whole (start ${start}, end ${end}, step ${step})`,
  );
  const s = start ?? 0;
  if (end !== undefined && end > 0) return { start: s, count: Math.max(0, end - s) };
  return { start: s, count: addDims(dim, -s + (end ?? 0)) };
}

/**
 * Resolves python-style start/end/step on an axis of length `dim`, clamped as numpy does.
 * NOTE: numpy and ONNX differ for a negative step with a start before the axis (`x[-10::-1]` on length 5):
 * numpy takes nothing, ONNX clamps the start to 0 and takes x[0]. We follow numpy.
 */
export function resolveRange(
  dim: number,
  start: number | undefined,
  end: number | undefined,
  step: number,
): { start: number; count: number } {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s: number;
  let e: number;
  if (step > 0) {
    s = start === undefined ? 0 : clamp(start < 0 ? start + dim : start, 0, dim);
    e = end === undefined ? dim : clamp(end < 0 ? end + dim : end, 0, dim);
    return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = start === undefined ? dim - 1 : clamp(start < 0 ? start + dim : start, -1, dim - 1);
  e = end === undefined ? -1 : clamp(end < 0 ? end + dim : end, -1, dim - 1);
  return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
}

/** ONNX Slice (opset 13) with steps. VJP: dy placed back into zeros (interleave for |step| > 1, then pad). */
export const Slice: Primitive<SliceAttrs> = {
  name: 'Slice',
  inputs: ['data'],
  infer([x], { axes, starts, steps, counts }) {
    check(x, 'missing input');
    const shape = [...x.dims];
    check(new Set(axes).size === axes.length, () => `repeated axes [${axes}]`);
    check(
      starts.length === axes.length && steps.length === axes.length && counts.length === axes.length,
      'axes, starts, steps and counts must have the same length',
    );
    axes.forEach((a, i) => {
      check(a >= 0 && a < x.rank, () => `axis ${a} is out of range for rank ${x.rank}`);
      check(steps[i] !== 0, 'step 0 is not allowed');
      const n = x.dims[a];
      const count = counts[i];
      if (typeof n === 'string' || typeof count === 'string') {
        check(
          typeof n === 'string' &&
            (steps[i] === 1
              ? typeof count === 'number' || tailOf(n, starts[i], count) >= 0
              : steps[i] === -1 && starts[i] === -1 && count === n),
          () =>
            `slice of axis ${a} (length ${n}) with start ${starts[i]}, step ${steps[i]}, count ${count} is not supported`,
        );
        shape[a] = count;
        return;
      }
      const last = starts[i] + (count - 1) * steps[i];
      check(
        count === 0 || (starts[i] >= 0 && starts[i] < n && last >= 0 && last < n),
        () => `range start ${starts[i]}, step ${steps[i]}, count ${count} leaves axis ${a} of length ${n}`,
      );
      shape[a] = counts[i];
    });
    return [{ dtype: x.dtype, shape }];
  },
  lower(ctx, node) {
    const { axes, starts, steps, counts } = node.attrs;
    const x = node.inputs[0]!;
    if (axes.some((a) => typeof x.dims[a] === 'string')) {
      // Symbolic axes: a reversal is start -1 to INT64_MIN, a step-1 slice ends at -tail (or INT64_MAX).
      const b = axes.map((a, i) => (typeof x.dims[a] === 'string' ? starts[i] : counts[i] === 0 ? 0 : starts[i]));
      const e = axes.map((a, i) => {
        const n = x.dims[a];
        if (typeof n === 'string') {
          if (steps[i] < 0) return INT64_MIN;
          if (typeof counts[i] === 'number') return starts[i] + (counts[i] as number);
          const tail = tailOf(n, starts[i], counts[i]);
          return tail === 0 ? INT64_MAX : -tail;
        }
        if (counts[i] === 0) return 0;
        const end = starts[i] + (counts[i] as number) * steps[i];
        return end < 0 ? -(n + 1) : end;
      });
      ctx.emit(
        'Slice',
        [ctx.name(x), ctx.i64(b), ctx.i64(e), ctx.i64(axes), ctx.i64(steps)],
        [ctx.name(node.outputs[0])],
      );
      return;
    }
    // NOTE: an exclusive end of -1 (before index 0, for negative steps) must be written as -(dim+1):
    // ONNX would read -1 as "the last element". An empty range is written as 0:0 for the same reason.
    const begin = axes.map((_, i) => (counts[i] === 0 ? 0 : starts[i]));
    const ends = axes.map((a, i) => {
      if (counts[i] === 0) return 0;
      const e = starts[i] + (counts[i] as number) * steps[i];
      return e < 0 ? -((x.dims[a] as number) + 1) : e;
    });
    ctx.emit(
      'Slice',
      [ctx.name(x), ctx.i64(begin), ctx.i64(ends), ctx.i64(axes), ctx.i64(steps)],
      [ctx.name(node.outputs[0])],
    );
  },
  vjp([dy], { inputs: [x], attrs: { axes, starts, steps, counts } }) {
    let d = dy!;
    axes.forEach((a, i) => {
      const n = x!.dims[a];
      if (typeof n === 'string') {
        // A symbolic axis: reversed whole, or a step-1 slice padded back with its head and tail.
        if (steps[i] < 0) d = slice(d, { axes: [a], steps: [-1] });
        else if (typeof counts[i] === 'number') {
          // A static part of a symbolic axis: zeros before and after it (the tail symbolic, by Expand).
          const zerosOf = (len: Dim) =>
            expandTo(
              d.graph.scalar(0, d.dtype),
              d.dims.map((v, j) => (j === a ? len : v)),
            );
          const tail = addDims(n, -(starts[i] + (counts[i] as number)));
          d = concat([...(starts[i] > 0 ? [zerosOf(starts[i])] : []), d, zerosOf(tail)], a);
        } else {
          const p = new Array(2 * d.rank).fill(0);
          p[a] = starts[i];
          p[a + d.rank] = tailOf(n, starts[i], counts[i]);
          d = pad(d, p);
        }
        return;
      }
      const count = counts[i] as number;
      let first = count === 0 ? 0 : starts[i];
      let step = count === 0 ? 1 : steps[i];
      if (step < 0) {
        // Reverse the axis so the step is positive; the taken elements then start at the lowest index.
        d = slice(d, { axes: [a], steps: [-1] });
        first = starts[i] + (count - 1) * step;
        step = -step;
      }
      if (step > 1 && count > 0) {
        // Interleave step−1 zeros after each element: [.., c, ..] → [.., c, step, ..] → [.., c·step, ..].
        const s = [...d.dims];
        d = reshape(d, [...s.slice(0, a + 1), 1, ...s.slice(a + 1)]);
        const p = new Array(2 * d.rank).fill(0);
        p[a + 1 + d.rank] = step - 1;
        d = pad(d, p);
        d = reshape(d, [...s.slice(0, a), count * step, ...s.slice(a + 1)]);
      }
      const p = new Array(2 * d.rank).fill(0);
      p[a] = first;
      p[a + d.rank] = n - first - (d.dims[a] as number);
      d = pad(d, p);
    });
    return [d];
  },
};

export interface SliceSpec {
  axes?: readonly number[];
  starts?: readonly (number | undefined)[];
  ends?: readonly (number | undefined)[];
  steps?: readonly number[];
}

/**
 * numpy-style slicing: `slice(x, { axes: [2], starts: [1], ends: [-1] })` is `x[:, :, 1:-1]`;
 * `slice(x, { axes: [4], steps: [-1] })` flips the last axis.
 */
export function slice(x: Tensor, { axes, starts = [], ends = [], steps = [] }: SliceSpec): Tensor {
  const ax = wrapAxes(axes ?? x.dims.map((_, i) => i), x.rank);
  const r = ax.map((a, i) => {
    const n = x.dims[a] ?? 0;
    return typeof n === 'string'
      ? resolveSymbolic(n, starts[i], ends[i], steps[i] ?? 1)
      : resolveRange(n, starts[i], ends[i], steps[i] ?? 1);
  });
  const attrs: SliceAttrs = {
    axes: ax,
    starts: r.map((v) => v.start),
    steps: ax.map((_, i) => steps[i] ?? 1),
    counts: r.map((v) => v.count),
  };
  const keep = ax.every((a, i) => attrs.steps[i] === 1 && attrs.starts[i] === 0 && attrs.counts[i] === x.dims[a]);
  if (keep) return x;
  return x.graph.apply(Slice, [x], attrs)[0];
}

/** Reverses `x` along `axes` (negative count from the end), as torch.flip: a Slice with step −1. */
export function flip(x: Tensor, axes: readonly number[]): Tensor {
  if (axes.length === 0) return x;
  return slice(x, { axes, steps: axes.map(() => -1) });
}
