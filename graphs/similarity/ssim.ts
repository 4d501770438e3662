import { add, concat, div, mean, mul, split, sub } from '../../sdk/ops';
import { separableFilter3d } from '../losses';
import type { Tensor } from '../../sdk/tensor';

export interface SsimOptions {
  /** Gaussian window size in voxels per axis (default 11, as pytorch-ssim). */
  window?: number;
  /** Gaussian standard deviation in voxels (default 1.5). */
  sigma?: number;
  /** Dynamic range L of the intensities (default 1): C1 = (0.01·L)², C2 = (0.03·L)². */
  dataRange?: number;
}

/** The normalised 1-D Gaussian window of `win` taps about its centre ⌊win/2⌋. */
export function gaussianWindow(win: number, sigma: number): number[] {
  const g = Array.from({ length: win }, (_, k) => Math.exp(-((k - Math.floor(win / 2)) ** 2) / (2 * sigma * sigma)));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / s);
}

/** `x` filtered by a separable `win`³ Gaussian (zero padding, same size): three 1-D convolutions. */
export function gaussianFilter3d(x: Tensor, win: number, sigma: number): Tensor {
  return separableFilter3d(x, gaussianWindow(win, sigma));
}

/**
 * 1 − SSIM with a 3-D Gaussian window (the formula of pytorch-ssim's 3-D version and MONAI's SSIMLoss):
 * SSIM = mean( (2μ_Iμ_J + C1)(2σ_IJ + C2) / ((μ_I² + μ_J² + C1)(σ_I² + σ_J² + C2)) ), local moments by the
 * Gaussian filter with zero padding. SSIM(x, x) = 1.
 */
export function ssimLoss(I: Tensor, J: Tensor, opts: SsimOptions = {}): Tensor {
  const win = opts.window ?? 11;
  const sigma = opts.sigma ?? 1.5;
  const L = opts.dataRange ?? 1;
  const c1 = (0.01 * L) ** 2;
  const c2 = (0.03 * L) ** 2;
  const n0 = I.shape[0];
  // One filter over the five stacked quantities, as nccLoss.
  const f = gaussianFilter3d(concat([I, J, mul(I, I), mul(J, J), mul(I, J)], 0), win, sigma);
  const [mu1, mu2, e11, e22, e12] = split(f, { axis: 0, sizes: [n0, n0, n0, n0, n0] });
  const mu12 = mul(mu1, mu2);
  const mu11 = mul(mu1, mu1);
  const mu22 = mul(mu2, mu2);
  const s11 = sub(e11, mu11);
  const s22 = sub(e22, mu22);
  const s12 = sub(e12, mu12);
  const num = mul(add(mul(mu12, 2), c1), add(mul(s12, 2), c2));
  const den = mul(add(add(mu11, mu22), c1), add(add(s11, s22), c2));
  return sub(1, mean(div(num, den)));
}
