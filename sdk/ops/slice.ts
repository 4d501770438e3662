import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { wrapAxes } from './kit';
import { pad } from './pad';
import { reshape } from './reshape';

export interface SliceAttrs {
  /** Resolved per sliced axis: first index taken, step (non-zero) and number of elements taken. */
  axes: number[];
  starts: number[];
  steps: number[];
  counts: number[];
}

/**
 * Resolves python-style start/end/step on an axis of length `dim`, clamped as numpy does.
 * NOTE: numpy and ONNX differ for a negative step with a start before the axis (`x[-10::-1]` on length 5):
 * numpy takes nothing, ONNX clamps the start to 0 and takes x[0]. We follow numpy.
 */
export function resolveRange(dim: number, start: number | undefined, end: number | undefined, step: number): { start: number; count: number } {
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
    const shape = [...x.shape];
    check(new Set(axes).size === axes.length, () => `repeated axes [${axes}]`);
    check(starts.length === axes.length && steps.length === axes.length && counts.length === axes.length,
      'axes, starts, steps and counts must have the same length');
    axes.forEach((a, i) => {
      check(a >= 0 && a < x.rank, () => `axis ${a} is out of range for rank ${x.rank}`);
      check(steps[i] !== 0, 'step 0 is not allowed');
      const last = starts[i] + (counts[i] - 1) * steps[i];
      check(counts[i] === 0 || (starts[i] >= 0 && starts[i] < x.shape[a] && last >= 0 && last < x.shape[a]),
        () => `range start ${starts[i]}, step ${steps[i]}, count ${counts[i]} leaves axis ${a} of length ${x.shape[a]}`);
      shape[a] = counts[i];
    });
    return [{ dtype: x.dtype, shape }];
  },
  lower(ctx, node) {
    const { axes, starts, steps, counts } = node.attrs;
    const x = node.inputs[0]!;
    // NOTE: an exclusive end of -1 (before index 0, for negative steps) must be written as -(dim+1):
    // ONNX would read -1 as "the last element". An empty range is written as 0:0 for the same reason.
    const begin = axes.map((_, i) => (counts[i] === 0 ? 0 : starts[i]));
    const ends = axes.map((a, i) => {
      if (counts[i] === 0) return 0;
      const e = starts[i] + counts[i] * steps[i];
      return e < 0 ? -(x.shape[a] + 1) : e;
    });
    ctx.emit('Slice', [ctx.name(x), ctx.i64(begin), ctx.i64(ends), ctx.i64(axes), ctx.i64(steps)], [ctx.name(node.outputs[0])]);
  },
  vjp([dy], { inputs: [x], attrs: { axes, starts, steps, counts } }) {
    let d = dy!;
    axes.forEach((a, i) => {
      const n = x!.shape[a];
      let first = counts[i] === 0 ? 0 : starts[i];
      let step = counts[i] === 0 ? 1 : steps[i];
      if (step < 0) {
        // Reverse the axis so the step is positive; the taken elements then start at the lowest index.
        d = slice(d, { axes: [a], steps: [-1] });
        first = starts[i] + (counts[i] - 1) * step;
        step = -step;
      }
      if (step > 1 && counts[i] > 0) {
        // Interleave step−1 zeros after each element: [.., c, ..] → [.., c, step, ..] → [.., c·step, ..].
        const s = [...d.shape];
        d = reshape(d, [...s.slice(0, a + 1), 1, ...s.slice(a + 1)]);
        const p = new Array(2 * d.rank).fill(0);
        p[a + 1 + d.rank] = step - 1;
        d = pad(d, p);
        d = reshape(d, [...s.slice(0, a), counts[i] * step, ...s.slice(a + 1)]);
      }
      const p = new Array(2 * d.rank).fill(0);
      p[a] = first;
      p[a + d.rank] = n - first - d.shape[a];
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
  const ax = wrapAxes(axes ?? x.shape.map((_, i) => i), x.rank);
  const r = ax.map((a, i) => resolveRange(x.shape[a] ?? 0, starts[i], ends[i], steps[i] ?? 1));
  const attrs: SliceAttrs = { axes: ax, starts: r.map((v) => v.start), steps: ax.map((_, i) => steps[i] ?? 1), counts: r.map((v) => v.count) };
  const keep = ax.every((a, i) => attrs.steps[i] === 1 && attrs.starts[i] === 0 && attrs.counts[i] === x.shape[a]);
  if (keep) return x;
  return x.graph.apply(Slice, [x], attrs)[0];
}

/** Reverses `x` along `axes` (negative count from the end), as torch.flip: a Slice with step −1. */
export function flip(x: Tensor, axes: readonly number[]): Tensor {
  if (axes.length === 0) return x;
  return slice(x, { axes, steps: axes.map(() => -1) });
}
