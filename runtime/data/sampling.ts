import type { Rng } from '../../sdk/nn/rng';
import { DataError } from './errors';
import { label, voxelCount, type Dims3, type Volume } from './volume';

/** A [D, H, W] block cut from a volume; voxels outside the volume are 0. */
export interface Crop {
  data: Float32Array;
  dims: Dims3;
  /** Index in the source of the crop's first voxel (negative where the volume was padded). */
  origin: [number, number, number];
  /** True when the volume was smaller than the crop along some axis, so zeros were padded in. */
  padded: boolean;
}

/** The block of `size` starting at `origin` (may reach outside the volume: zeros there). */
export function cropAt(vol: Volume, origin: readonly number[], size: Dims3): Crop {
  const [D, H, W] = vol.dims;
  const [cd, ch, cw] = size;
  const data = new Float32Array(voxelCount(size));
  const w0 = Math.max(0, -origin[2]);
  const w1 = Math.min(cw, W - origin[2]);
  for (let d = 0; d < cd; d++) {
    const sd = origin[0] + d;
    if (sd < 0 || sd >= D) continue;
    for (let h = 0; h < ch; h++) {
      const sh = origin[1] + h;
      if (sh < 0 || sh >= H || w1 <= w0) continue;
      const from = (sd * H + sh) * W + origin[2];
      data.set(vol.data.subarray(from + w0, from + w1), (d * ch + h) * cw + w0);
    }
  }
  const padded = size.some((s, a) => s > vol.dims[a]);
  return { data, dims: [...size], origin: [origin[0], origin[1], origin[2]], padded };
}

/**
 * A random crop of `size`: uniform over the positions inside the volume; along an axis where the volume is
 * smaller than the crop, the volume lands at a uniformly random place inside the crop, zeros around it.
 * `warn` (if given) is called with a message naming the volume whenever padding happens.
 */
export function randomCrop(vol: Volume, size: Dims3, rng: Rng, warn?: (message: string) => void): Crop {
  const origin = size.map((s, a) => {
    const n = vol.dims[a];
    return n >= s ? rng.int(0, n - s + 1) : -rng.int(0, s - n + 1);
  });
  const crop = cropAt(vol, origin, size);
  if (crop.padded && warn) {
    warn(`${label(vol)}volume ${vol.dims.join('x')} is smaller than the crop ${size.join('x')}; padded with zeros`);
  }
  return crop;
}

/** Two different indices in [0, count), uniformly among ordered pairs. */
export function samplePair(count: number, rng: Rng): [number, number] {
  if (count < 2) throw new DataError(`GVSL pairs need at least 2 volumes, got ${count}`);
  const a = rng.int(0, count);
  const b = rng.int(0, count - 1);
  return [a, b >= a ? b + 1 : b];
}
