import type { Rng } from '../../sdk/nn/rng';
import { damageAppearance, type AppearanceOptions } from './augment/appearance';
import { drawSpatial, type SpatialOptions } from './augment/spatial';
import { applySpatial } from './augment/warp';
import { DataError } from './errors';
import { randomCrop, samplePair } from './sampling';
import { voxelCount, type Dims3, type Volume } from './volume';

export interface GvslBatchOptions {
  /** Crop size [D, H, W]. */
  crop: Dims3;
  /** Samples per batch (default 1, as the official training). */
  batch?: number;
  /** Appearance damage of A; false turns it off (A' = A). */
  appearance?: AppearanceOptions | false;
  /** The shared spatial augmentation; false turns it off. */
  spatial?: SpatialOptions | false;
  /** Index of the first sample drawn when `rng` gives one stream per sample (a slice of a larger batch). */
  first?: number;
  /** Called with a message when a volume is smaller than the crop and gets zero-padded. */
  warn?: (message: string) => void;
}

/** One GVSL training batch, each array [N, 1, D, H, W] float32. */
export interface GvslBatch {
  /** Image A after the spatial augmentation: the restoration and registration target. */
  A: Float32Array;
  /** A damaged in appearance, then spatially augmented like A: the network's first input. */
  Aaug: Float32Array;
  /** Image B (another volume), spatially augmented like A: the moving image. */
  B: Float32Array;
  shape: [number, number, number, number, number];
  /** (index of A, index of B) in the volume list, per sample. */
  pairs: Array<[number, number]>;
  /** True if some crop was zero-padded. */
  padded: boolean;
}

/**
 * Draws a GVSL batch as the official Train_GVSL.py does for each sample: two different volumes A and B (its
 * loader draws them independently, so it can pair a volume with itself; we never do), a
 * random crop of each, A damaged in appearance (Models Genesis), then ONE random spatial transform applied
 * to A, damaged A and B alike. Volumes must already be normalised to [0, 1] (see normalize.ts). All
 * randomness comes from `rng`, in a fixed order, so a restored Rng state reproduces the batch. When `rng` is
 * a function, sample `first + s` draws from its own stream `rng(first + s)`: then any slice of a batch can be
 * drawn alone (data-parallel ranks each draw their own samples).
 */
export function sampleGvslBatch(volumes: readonly Volume[], rngs: Rng | ((sample: number) => Rng), opts: GvslBatchOptions): GvslBatch {
  const n = opts.batch ?? 1;
  if (!(Number.isInteger(n) && n >= 1)) throw new DataError(`batch size must be a positive integer, got ${n}`);
  const size = opts.crop;
  const m = voxelCount(size);
  const A = new Float32Array(n * m);
  const Aaug = new Float32Array(n * m);
  const B = new Float32Array(n * m);
  const pairs: Array<[number, number]> = [];
  let padded = false;
  for (let s = 0; s < n; s++) {
    const rng = typeof rngs === 'function' ? rngs((opts.first ?? 0) + s) : rngs;
    const [ia, ib] = samplePair(volumes.length, rng);
    pairs.push([ia, ib]);
    const ca = randomCrop(volumes[ia], size, rng, opts.warn);
    const cb = randomCrop(volumes[ib], size, rng, opts.warn);
    padded ||= ca.padded || cb.padded;
    const damaged = opts.appearance === false ? ca.data : damageAppearance(ca.data, size, rng, opts.appearance);
    let out = [ca.data, damaged, cb.data];
    if (opts.spatial !== false) out = applySpatial(drawSpatial(size, rng, opts.spatial), out);
    A.set(out[0], s * m);
    Aaug.set(out[1], s * m);
    B.set(out[2], s * m);
  }
  return { A, Aaug, B, shape: [n, 1, ...size], pairs, padded };
}
