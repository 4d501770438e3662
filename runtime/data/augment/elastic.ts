import type { Rng } from '../../../sdk/nn/rng';
import type { Dims3 } from '../volume';

/** scipy's _gaussian_kernel1d (order 0): radius ⌊4σ + ½⌋, normalised to sum 1, as GVSL copies it. */
export function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.floor(4 * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) sum += k[x + radius] = Math.exp((-0.5 * x * x) / (sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * The elastic displacement of GVSL's SpatialTransform.deform_coords (after Simard et al. 2003 and
 * batchgenerators): uniform noise in [−1, 1] per voxel and channel, blurred by a separable Gaussian of
 * `sigma` voxels with zero padding (torch conv3d), times `alpha`. Three channels (d, h, w) of D·H·W voxels.
 */
export function elasticField(dims: Dims3, alpha: number, sigma: number, rng: Rng): Float32Array {
  const n = dims[0] * dims[1] * dims[2];
  const out = new Float32Array(3 * n);
  const kernel = gaussianKernel(sigma);
  for (let c = 0; c < 3; c++) {
    let x: Float32Array = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = rng.uniform(-1, 1);
    for (const axis of [0, 1, 2]) x = blurAxis(x, dims, axis, kernel);
    for (let i = 0; i < n; i++) out[c * n + i] = x[i] * alpha;
  }
  return out;
}

/** 1-D correlation with `kernel` (odd length, centred) along `axis`, zeros outside. */
export function blurAxis(src: Float32Array, dims: Dims3, axis: number, kernel: Float64Array): Float32Array {
  const n = dims[axis];
  const inner = axis === 2 ? 1 : axis === 1 ? dims[2] : dims[1] * dims[2];
  const outer = src.length / (n * inner);
  const r = (kernel.length - 1) / 2;
  const out = new Float32Array(src.length);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < n; i++) {
      const j0 = Math.max(0, i - r);
      const j1 = Math.min(n - 1, i + r);
      if (inner === 1) {
        let s = 0;
        for (let j = j0; j <= j1; j++) s += kernel[j - i + r] * src[base + j];
        out[base + i] = s;
        continue;
      }
      const dst = base + i * inner;
      for (let j = j0; j <= j1; j++) {
        const k = kernel[j - i + r];
        const row = base + j * inner;
        for (let t = 0; t < inner; t++) out[dst + t] += k * src[row + t];
      }
    }
  }
  return out;
}
