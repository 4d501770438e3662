import { Rng } from '../../sdk/nn/rng';
import {
  add,
  clip,
  div,
  exp,
  gather,
  log,
  matmul,
  mean,
  mT,
  mul,
  reduceMean,
  reduceSum,
  reshape,
  square,
  sub,
} from '../../sdk/ops';
import type { Tensor } from '../../sdk/tensor';

export interface MutualInformationOptions {
  /** Histogram bins (default 32), centred evenly on [min, max]. */
  bins?: number;
  /** Gaussian Parzen kernel width as a multiple of the bin spacing (default 1). */
  sigmaRatio?: number;
  /** Intensity range of the bins (default [0, 1], the normalised images); intensities are clamped to it. */
  range?: [number, number];
  /**
   * Fraction of the voxels the histograms use (default 1, every voxel): a fixed random subset drawn once, at
   * graph build, with `samplingSeed` (as Mattes MI samples voxels; here the random crops vary the voxels seen).
   */
  sampling?: number;
  samplingSeed?: number;
}

/** `count` distinct voxel indices out of `n`, sorted (a partial Fisher–Yates shuffle of a seeded stream). */
export function sampleVoxels(n: number, count: number, seed: number): number[] {
  const rng = new Rng(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.min(n - i - 1, Math.floor(rng.next() * (n - i)));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, count).sort((a, b) => a - b);
}

/**
 * Negative mutual information with differentiable Parzen-window histograms (the formula of VoxelMorph's
 * MutualInformation and its PyTorch port in TransMorph): each voxel's soft bin weights are
 * exp(−(x − c_k)² / 2σ²), normalised over the bins, σ = sigmaRatio · bin spacing; p_ab = W_aᵀW_b / V,
 * p_a, p_b their marginals, MI = Σ p_ab · log(p_ab / (p_a p_bᵀ + 1e-6) + 1e-6), per sample. The loss is
 * ln(bins) − mean(MI): VoxelMorph's −MI shifted by a constant (same gradient) so that it stays >= 0, as
 * MI <= ln(bins), and the run's log-scale loss plot can show it.
 * Modality-independent: MI only asks that one image's intensities predict the other's.
 */
export function mutualInformationLoss(I: Tensor, J: Tensor, opts: MutualInformationOptions = {}): Tensor {
  const bins = opts.bins ?? 32;
  const [lo, hi] = opts.range ?? [0, 1];
  const sigma = ((hi - lo) / (bins - 1)) * (opts.sigmaRatio ?? 1);
  const n = I.shape[0];
  let voxels = I.size / n;
  const g = I.graph;
  const centres = g.constant(
    Array.from({ length: bins }, (_, k) => lo + ((hi - lo) * k) / (bins - 1)),
    I.dtype,
    [bins],
  );
  const fraction = opts.sampling ?? 1;
  const picked =
    fraction < 1 ? sampleVoxels(voxels, Math.max(1, Math.round(fraction * voxels)), opts.samplingSeed ?? 0) : null;
  if (picked) voxels = picked.length;
  const weights = (x: Tensor) => {
    let v = reshape(clip(x, { min: lo, max: hi }), [n, x.size / n, 1]);
    if (picked) v = gather(v, g.constant(picked, 'int64', [picked.length]), { axis: 1, nonNegative: true });
    const w = exp(mul(square(sub(v, centres)), -1 / (2 * sigma * sigma))); // (N, V, bins)
    return div(w, reduceSum(w, [2], { keepdims: true }));
  };
  const wa = weights(I);
  const wb = weights(J);
  const pab = div(matmul(mT(wa), wb), voxels); // (N, bins, bins)
  const pa = reduceMean(wa, [1], { keepdims: true }); // (N, 1, bins)
  const pb = reduceMean(wb, [1], { keepdims: true });
  const papb = add(matmul(mT(pa), pb), 1e-6);
  const mi = reduceSum(mul(pab, log(add(div(pab, papb), 1e-6))), [1, 2]);
  return sub(Math.log(bins), mean(mi));
}
