import { mul4 } from './affine';
import { spacingOf, type Dims3, type Volume } from './volume';

export interface ResampleOptions {
  /** 'linear' (trilinear, default) for images, 'nearest' for label maps. */
  mode?: 'linear' | 'nearest';
}

/**
 * Resamples to a target spacing in mm ([sd, sh, sw] or one number for all axes), keeping the field of view:
 * each axis gets round(n·s/s') voxels of exactly s', centred on the old extent (voxel j sits at old
 * index ((j + ½)s' + (n·s − n'·s')/2)/s − ½). Trilinear, computed as three exact 1-D passes; positions past
 * the first/last voxel centre take the edge value. The affine keeps its directions and gets the new spacing.
 */
export function resample(vol: Volume, spacing: number | [number, number, number], opts: ResampleOptions = {}): Volume {
  const target = typeof spacing === 'number' ? [spacing, spacing, spacing] : spacing;
  if (target.some((s) => !(s > 0))) throw new Error(`resample: spacing must be positive, got [${target.join(', ')}]`);
  const nearest = opts.mode === 'nearest';
  const scale: number[] = [];
  const offset: number[] = [];
  const out: number[] = [];
  for (let a = 0; a < 3; a++) {
    const [n, s, t] = [vol.dims[a], vol.spacing[a], target[a]];
    const m = Math.max(1, Math.round((n * s) / t));
    out.push(m);
    scale.push(t / s);
    offset.push((0.5 * t + (n * s - m * t) / 2) / s - 0.5);
  }
  let data = vol.data;
  let dims: Dims3 = [...vol.dims];
  for (const a of [2, 1, 0]) {
    data = resampleAxis(data, dims, a, out[a], scale[a], offset[a], nearest);
    dims = [...dims];
    dims[a] = out[a];
  }
  // old NIfTI index = scale·new + offset, per axis (NIfTI column c ↔ dims axis 2 − c).
  const s4 = [scale[2], 0, 0, offset[2], 0, scale[1], 0, offset[1], 0, 0, scale[0], offset[0], 0, 0, 0, 1];
  const affine = mul4(vol.affine, s4);
  return { data, dims, affine, spacing: spacingOf(affine), name: vol.name };
}

function resampleAxis(src: Float32Array, dims: Dims3, axis: number, m: number, scale: number, offset: number, nearest: boolean): Float32Array {
  const n = dims[axis];
  const inner = axis === 2 ? 1 : axis === 1 ? dims[2] : dims[1] * dims[2];
  const outer = axis === 0 ? 1 : axis === 1 ? dims[0] : dims[0] * dims[1];
  const i0 = new Int32Array(m);
  const i1 = new Int32Array(m);
  const fr = new Float32Array(m);
  for (let j = 0; j < m; j++) {
    let x = Math.min(n - 1, Math.max(0, j * scale + offset));
    if (nearest) x = Math.round(x);
    const f = Math.floor(x);
    i0[j] = f;
    i1[j] = Math.min(n - 1, f + 1);
    fr[j] = x - f;
  }
  const out = new Float32Array(outer * m * inner);
  for (let o = 0; o < outer; o++) {
    const sb = o * n * inner;
    const db = o * m * inner;
    for (let j = 0; j < m; j++) {
      const a = sb + i0[j] * inner;
      const b = sb + i1[j] * inner;
      const f = fr[j];
      const d = db + j * inner;
      for (let t = 0; t < inner; t++) out[d + t] = src[a + t] + f * (src[b + t] - src[a + t]);
    }
  }
  return out;
}
