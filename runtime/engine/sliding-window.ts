/**
 * Sliding-window inference over a whole volume with Gaussian blending, as MONAI's
 * `sliding_window_inference(mode="gaussian", sigma_scale=0.125, padding_mode="constant", cval=0)`.
 */
import { cropAt, type Dims3, makeVolume, voxelCount } from '../data';

/**
 * MONAI's `compute_importance_map(mode="gaussian")`: the outer product of 1-D Gaussians over the window,
 * centred at (n − 1)/2 with sigma = sigmaScale·n per axis, clamped below at max(min, 1e-3). [D, H, W] order.
 */
export function importanceMap(roi: Dims3, sigmaScale = 0.125): Float32Array {
  const axes = roi.map((n) => {
    const sigma = sigmaScale * n;
    return Array.from({ length: n }, (_, i) => Math.exp(-((i - (n - 1) / 2) ** 2) / (2 * sigma * sigma)));
  });
  const out = new Float32Array(voxelCount(roi));
  let o = 0;
  for (let d = 0; d < roi[0]; d++)
    for (let h = 0; h < roi[1]; h++) for (let w = 0; w < roi[2]; w++) out[o++] = axes[0][d] * axes[1][h] * axes[2][w];
  let min = Infinity;
  for (const v of out) min = Math.min(min, v);
  const floor = Math.fround(Math.max(min, 1e-3));
  for (let i = 0; i < out.length; i++) if (out[i] < floor) out[i] = floor;
  return out;
}

/**
 * Window starts along one axis of (padded) size n, as MONAI's `_get_scan_interval` + `dense_patch_slices`:
 * interval = roi when roi = n, else max(⌊roi·(1 − overlap)⌋, 1); starts at k·interval until a window reaches
 * the end, the last one moved back to end exactly at n.
 */
export function windowStarts(n: number, roi: number, overlap: number): number[] {
  const interval = roi === n ? roi : Math.max(Math.floor(roi * (1 - overlap)), 1);
  const count = Math.ceil(n / interval);
  let last = 0;
  while (last < count - 1 && last * interval + roi < n) last++;
  return Array.from({ length: last + 1 }, (_, k) => k * interval - Math.max(k * interval + roi - n, 0));
}

export interface SlidingWindowOptions {
  /** Fraction of the window shared by neighbours (default 0.25, MONAI's). */
  overlap?: number;
  sigmaScale?: number;
}

/**
 * Runs `predict` (a [D, H, W] window → `channels` × window values) over the whole volume `data` (dims) and
 * blends the windows with the Gaussian importance map: out = Σ w·pred / Σ w. A volume smaller than the window
 * along an axis is zero-padded symmetrically (⌊diff/2⌋ before), and the padding cropped from the result.
 * Returns channels × D × H × W.
 */
export async function slidingWindow(
  data: Float32Array,
  dims: Dims3,
  roi: Dims3,
  channels: number,
  predict: (window: Float32Array) => Promise<Float32Array>,
  opts: SlidingWindowOptions = {},
): Promise<Float32Array> {
  const overlap = opts.overlap ?? 0.25;
  if (!(overlap >= 0 && overlap < 1)) throw new Error(`overlap must be in [0, 1), got ${overlap}`);
  const before = dims.map((n, a) => Math.floor(Math.max(roi[a] - n, 0) / 2));
  const padded = dims.map((n, a) => Math.max(n, roi[a])) as Dims3;
  const starts = padded.map((n, a) => windowStarts(n, roi[a], overlap));
  const imp = importanceMap(roi, opts.sigmaScale);
  const P = voxelCount(padded);
  const R = voxelCount(roi);
  const acc = new Float32Array(channels * P);
  const weight = new Float32Array(P);
  const vol = makeVolume(data, dims);
  for (const sd of starts[0])
    for (const sh of starts[1])
      for (const sw of starts[2]) {
        const window = cropAt(vol, [sd - before[0], sh - before[1], sw - before[2]], roi).data;
        const pred = await predict(window);
        if (pred.length !== channels * R)
          throw new Error(
            `the model returned ${pred.length} values for a window of ${roi.join('x')} and ${channels} channels`,
          );
        for (let d = 0; d < roi[0]; d++)
          for (let h = 0; h < roi[1]; h++) {
            const src = (d * roi[1] + h) * roi[2];
            const dst = ((sd + d) * padded[1] + sh + h) * padded[2] + sw;
            for (let w = 0; w < roi[2]; w++) weight[dst + w] += imp[src + w];
            for (let c = 0; c < channels; c++) {
              const cs = c * R + src;
              const cd = c * P + dst;
              for (let w = 0; w < roi[2]; w++) acc[cd + w] += pred[cs + w] * imp[src + w];
            }
          }
      }
  const N = voxelCount(dims);
  const out = new Float32Array(channels * N);
  for (let c = 0; c < channels; c++)
    for (let d = 0; d < dims[0]; d++)
      for (let h = 0; h < dims[1]; h++) {
        const src = ((d + before[0]) * padded[1] + h + before[1]) * padded[2] + before[2];
        const dst = c * N + (d * dims[1] + h) * dims[2];
        for (let w = 0; w < dims[2]; w++) out[dst + w] = acc[c * P + src + w] / weight[src + w];
      }
  return out;
}

/** Index of the largest of `channels` values per voxel (the first on ties), as float class labels. */
export function argmaxChannels(probs: Float32Array, channels: number): Float32Array {
  const n = probs.length / channels;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = probs[i];
    for (let c = 1; c < channels; c++) {
      const v = probs[c * n + i];
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}
