/**
 * MaxPool's gradient for overlapping, padded or dilated windows (a ResNet stem's 3/2/1 pool), from standard
 * ops only (no MaxPool Indices: missing on WebGPU; no ConvTranspose or Scatter), every tensor at output resolution:
 * - per window offset j in scan order, a strided Slice of the zero-padded x, P_j[o] = x[o·stride − pad +
 *   j·dilation]; Equal against the pooled Y (and a constant mask where P_j reads padding) marks the maxima;
 * - the FIRST maximum of each window (as PyTorch): offset j takes dy where it is a maximum and no earlier offset
 *   was (a running boolean "free" mask, And/Not: no stacked [K, …] tensor, no CumSum);
 * - dX folded back by phases (polyphase.ts): input position i = q·stride + r sums the offsets j of its phase r,
 *   each term read at output q + c_j (a Slice and a Pad where c_j shifts it).
 * This replaced a one-hot depthwise Conv for the patches and its zero-interleaved input gradient (a 6-D Pad and a
 * Conv over K·C channels at input resolution: 29 % of the ResNet example's step).
 */
import { requireStatic } from '../dim';
import { allocate } from '../dtype';
import type { Tensor } from '../tensor';
import { add } from './add';
import { logicalAnd } from './and';
import { logicalNot } from './not';
import { equal } from './equal';
import { pad } from './pad';
import { type PoolAttrs, poolDilations } from './pool-kit';
import { axisPhases, interleavePhases, multiIndices } from './polyphase';
import { slice } from './slice';
import { where } from './where';

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Row-major multi-index of `flat` within `dims`. */
function unflatten(flat: number, dims: readonly number[]): number[] {
  const out = new Array(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    out[i] = flat % dims[i];
    flat = Math.floor(flat / dims[i]);
  }
  return out;
}

/** Row-major flat index of the multi-index `at` within `dims`. */
const flatten = (at: readonly number[], dims: readonly number[]): number => at.reduce((f, v, i) => f * dims[i] + v, 0);

/** t[q + c] for q in [0, q) along each spatial axis (zeros outside t): one Slice and one Pad at most. */
function shifted(t: Tensor, c: readonly number[], q: readonly number[], out: readonly number[]): Tensor {
  const axes = c.map((_, i) => i + 2);
  const starts = c.map((v) => Math.max(v, 0));
  const ends = c.map((v, i) => Math.min(v + q[i], out[i]));
  const whole = starts.every((v, i) => v === 0 && ends[i] === out[i]);
  const cut = whole ? t : slice(t, { axes, starts, ends });
  const begin = c.map((v) => Math.max(-v, 0));
  const end = c.map((v, i) => Math.max(v + q[i] - out[i], 0));
  return pad(cut, [0, 0, ...begin, 0, 0, ...end]);
}

export function maxPoolGradGeneral(dy: Tensor, x: Tensor, y: Tensor, attrs: PoolAttrs): Tensor {
  const { kernel, strides, pads } = attrs;
  const dilations = poolDilations(attrs);
  const g = x.graph;
  // The batch may be symbolic; channels and space are read as numbers.
  const c = requireStatic(x.dims.slice(1, 2), 'the max-pool gradient (channels)')[0];
  const sp = requireStatic(x.dims.slice(2), 'the max-pool gradient (spatial axes)');
  const out = requireStatic(dy.dims.slice(2), 'the max-pool gradient (spatial axes)');
  const s = sp.length;
  const K = prod(kernel);
  const spAxes = sp.map((_, i) => i + 2);
  const xPadded = pad(x, [0, 0, ...pads.slice(0, s), 0, 0, ...pads.slice(s)]);
  // Offset j in scan order: its window values, which read inside x (PyTorch pads with −∞: never the max), and
  // whether they hold the window's first maximum (equal to Y, no earlier offset equal).
  let free: Tensor | null = null;
  const terms = Array.from({ length: K }, (_, j) => {
    const off = unflatten(j, kernel);
    const starts = off.map((v, i) => v * dilations[i]);
    const ends = starts.map((v, i) => v + (out[i] - 1) * strides[i] + 1);
    let isMax = equal(slice(xPadded, { axes: spAxes, starts, ends, steps: strides }), y);
    const inside = allocate('bool', prod(out)) as Uint8Array;
    for (let o = 0; o < prod(out); o++) {
      const pos = unflatten(o, out);
      const at = pos.map((p, i) => p * strides[i] - pads[i] + off[i] * dilations[i]);
      inside[o] = at.every((v, i) => v >= 0 && v < sp[i]) ? 1 : 0;
    }
    if (inside.some((v) => v === 0)) isMax = logicalAnd(isMax, g.constant(inside, 'bool', [1, 1, ...out]));
    const first: Tensor = free ? logicalAnd(isMax, free) : isMax;
    if (j < K - 1) free = free ? logicalAnd(free, logicalNot(isMax)) : logicalNot(isMax);
    return where(first, dy, 0);
  });
  // Fold: phase r of each axis sums its offsets' terms, read at output q + c_j (zeros outside dy).
  const ax = sp.map((l, i) => axisPhases(l, kernel[i], strides[i], pads[i], dilations[i]));
  const q = ax.map((a) => a.q);
  const phases = multiIndices(strides).map((r) => {
    const taps = r.map((ri, i) => ax[i].taps[ri]);
    if (taps.some((t) => t.length === 0)) return null;
    return multiIndices(taps.map((t) => t.length))
      .map((m) => {
        const tap = m.map((mi, i) => taps[i][mi]);
        const j = flatten(
          tap.map((t) => t.j),
          kernel,
        );
        return shifted(
          terms[j],
          tap.map((t) => t.c),
          q,
          out,
        );
      })
      .reduce((a, b) => add(a, b));
  });
  return interleavePhases(phases, [x.dims[0], c], strides, q, sp);
}
