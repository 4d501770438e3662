/**
 * MaxPool's gradient for overlapping, padded or dilated windows (a ResNet stem's 3/2/1 pool), from standard
 * ops only (no MaxPool Indices: missing on WebGPU; no ConvTranspose or Scatter):
 * - patches: K strided Slices of the zero-padded x, one per window offset j, stacked on a new axis:
 *   P[n, c, j, o] = x[n, c, o·stride − pad + j·dilation] (zeros in the padding, then masked out there);
 * - the first maximum of each window in scan order (as PyTorch) by Equal against the pooled Y and an
 *   exclusive CumSum of that mask over j;
 * - dX: dy placed at each window's first max, folded back by phases (polyphase.ts): input position
 *   i = q·stride + r sums the offsets j of its phase r, each read at output q + c_j. Every piece stays at output
 *   resolution (the one-hot Conv's zero-interleaved input gradient this replaces was a 6-D Pad and a Conv over
 *   K·C channels at input resolution: 29 % of the ResNet example's step).
 * The batch axis stays free (reshapes keep N as −1); the padding mask is a constant over space only.
 */
import { requireStatic } from '../dim';
import { allocate } from '../dtype';
import type { Tensor } from '../tensor';
import { add } from './add';
import { logicalAnd } from './and';
import { cast } from './cast';
import { concat } from './concat';
import { cumsum } from './cumsum';
import { equal } from './equal';
import { pad } from './pad';
import { type PoolAttrs, poolDilations } from './pool-kit';
import { axisPhases, interleavePhases, multiIndices } from './polyphase';
import { reshape } from './reshape';
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

export function maxPoolGradGeneral(dy: Tensor, x: Tensor, y: Tensor, attrs: PoolAttrs): Tensor {
  const { kernel, strides, pads } = attrs;
  const dilations = poolDilations(attrs);
  const g = x.graph;
  // The batch may be symbolic (reshapes keep it as -1); channels and space are read as numbers.
  const c = requireStatic(x.dims.slice(1, 2), 'the max-pool gradient (channels)')[0];
  const sp = requireStatic(x.dims.slice(2), 'the max-pool gradient (spatial axes)');
  const out = requireStatic(dy.dims.slice(2), 'the max-pool gradient (spatial axes)');
  const s = sp.length;
  const K = prod(kernel);
  const spAxes = sp.map((_, i) => i + 2);
  const xPadded = pad(x, [0, 0, ...pads.slice(0, s), 0, 0, ...pads.slice(s)]);
  const patch = (j: number): Tensor => {
    const off = unflatten(j, kernel);
    const starts = off.map((v, i) => v * dilations[i]);
    const ends = starts.map((v, i) => v + (out[i] - 1) * strides[i] + 1);
    return reshape(slice(xPadded, { axes: spAxes, starts, ends, steps: strides }), [-1, c, 1, ...out]);
  };
  const patches = concat(
    Array.from({ length: K }, (_, j) => patch(j)),
    2,
  );
  // Which (offset, output position) pairs read a padded element: never the max (PyTorch pads with −∞).
  const inside = allocate('bool', K * prod(out)) as Uint8Array;
  for (let j = 0; j < K; j++) {
    const off = unflatten(j, kernel);
    for (let o = 0; o < prod(out); o++) {
      const pos = unflatten(o, out);
      inside[j * prod(out) + o] = pos.every((p, i) => {
        const at = p * strides[i] - pads[i] + off[i] * dilations[i];
        return at >= 0 && at < sp[i];
      })
        ? 1
        : 0;
    }
  }
  const valid = g.constant(inside, 'bool', [1, 1, K, ...out]);
  const yv = reshape(y, [-1, c, 1, ...out]);
  const isMax = logicalAnd(valid, equal(patches, yv));
  const before = cumsum(cast(isMax, x.dtype), 2, { exclusive: true });
  const first = logicalAnd(isMax, equal(before, 0));
  const dPatches = where(first, reshape(dy, [-1, c, 1, ...out]), 0);

  // Fold: phase r of each axis sums its offsets' dPatches, read at output q + c_j (zeros outside dy).
  const ax = sp.map((l, i) => axisPhases(l, kernel[i], strides[i], pads[i], dilations[i]));
  const q = ax.map((a) => a.q);
  const shifts = ax.map((a) => a.taps.flat().map((t) => t.c));
  const padBegin = shifts.map((cs) => Math.max(0, -Math.min(...cs)));
  const padEnd = shifts.map((cs, i) => Math.max(0, Math.max(...cs) + q[i] - out[i]));
  const dPadded = pad(dPatches, [0, 0, 0, ...padBegin, 0, 0, 0, ...padEnd]);
  const phases = multiIndices(strides).map((r) => {
    const taps = r.map((ri, i) => ax[i].taps[ri]);
    if (taps.some((t) => t.length === 0)) return null;
    const terms = multiIndices(taps.map((t) => t.length)).map((m) => {
      const tap = m.map((mi, i) => taps[i][mi]);
      const j = flatten(
        tap.map((t) => t.j),
        kernel,
      );
      const starts = tap.map((t, i) => t.c + padBegin[i]);
      return slice(dPadded, {
        axes: [2, ...spAxes.map((a) => a + 1)],
        starts: [j, ...starts],
        ends: [j + 1, ...starts.map((v, i) => v + q[i])],
      });
    });
    return terms.reduce((a, b) => add(a, b));
  });
  return interleavePhases(phases, [x.dims[0], c], strides, q, sp);
}
