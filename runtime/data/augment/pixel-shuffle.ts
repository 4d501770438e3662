import type { Rng } from '../../../sdk/nn/rng';
import type { Dims3 } from '../volume';

export interface PixelShuffleOptions {
  /** Number of blocks (GVSL: 5000). */
  blocks?: number;
  /** Block size [bd, bh, bw]; default max(2, ⌊S/20⌋) per axis, at most S. */
  blockSize?: Dims3;
  /**
   * Reproduce the official GVSL quirks: blocks of ⌊S/20⌋ (empty or single voxels, i.e. no effect, below 40
   * voxels), one permutation shared by all blocks, block starts in [0, S − b) instead of [0, S − b].
   */
  official?: boolean;
}

/**
 * Local pixel shuffling (Models Genesis, Zhou et al. 2019; GVSL's AppearanceTransform.local_pixel_shuffling):
 * `blocks` random boxes are cut from the ORIGINAL image, the voxels of each are permuted (an independent
 * permutation per block) and written back in turn, later boxes overwriting earlier ones.
 */
export function localPixelShuffle(src: Float32Array, dims: Dims3, rng: Rng, opts: PixelShuffleOptions = {}): Float32Array {
  const official = opts.official ?? false;
  const b = opts.blockSize ?? (dims.map((s) => (official ? Math.floor(s / 20) : Math.min(s, Math.max(2, Math.floor(s / 20))))) as Dims3);
  const count = opts.blocks ?? 5000;
  const out = Float32Array.from(src);
  const nvox = b[0] * b[1] * b[2];
  if (nvox === 0) return out;
  const [, H, W] = dims;
  const starts = b.map((bs, a) => Array.from({ length: count }, () => rng.int(0, dims[a] - bs + (official ? 0 : 1))));
  const shared = official ? permutation(nvox, rng) : null;
  const values = new Float32Array(nvox);
  for (let k = 0; k < count; k++) {
    const [d0, h0, w0] = [starts[0][k], starts[1][k], starts[2][k]];
    let i = 0;
    for (let d = 0; d < b[0]; d++) for (let h = 0; h < b[1]; h++) {
      const row = ((d0 + d) * H + h0 + h) * W + w0;
      for (let w = 0; w < b[2]; w++) values[i++] = src[row + w];
    }
    const perm = shared ?? permutation(nvox, rng);
    i = 0;
    for (let d = 0; d < b[0]; d++) for (let h = 0; h < b[1]; h++) {
      const row = ((d0 + d) * H + h0 + h) * W + w0;
      for (let w = 0; w < b[2]; w++) out[row + w] = values[perm[i++]];
    }
  }
  return out;
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
