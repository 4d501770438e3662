import { invertAffine, mul4 } from '../data/affine';
import { spacingOf, voxelCount, type Dims3, type Volume } from '../data/volume';

/** A volume of several values per voxel (a vector field or feature maps), component-major: data[c·n + voxel]. */
export interface VectorVolume extends Volume {
  components: number;
}

/** How volumes were brought onto the model's voxel grid. */
export interface GridFit {
  /** `resample`: each volume's field of view resampled (trilinear) onto the model grid; `none`: used as is. */
  mode: 'resample' | 'none';
  dims: Dims3;
  /** Isotropic grid spacing in mm when resampled (the volume's own spacing otherwise). */
  spacing: [number, number, number];
  /** One line saying what was done, for logs and the CLI. */
  description: string;
}

/**
 * The common isotropic spacing (mm) at which every volume's whole field of view fits into `size` voxels,
 * never finer than `minSpacing` (the spacing the model was trained at, when known).
 */
export function fitSpacing(vols: readonly Volume[], size: Dims3, minSpacing = 0): number {
  let s = minSpacing;
  for (const v of vols) for (let a = 0; a < 3; a++) s = Math.max(s, (v.dims[a] * v.spacing[a]) / size[a]);
  return s;
}

/**
 * The grid of `size` voxels at isotropic `spacing`, centred on the volume's field of view, with the volume's
 * axis directions: the affine maps grid index (w, h, d) to the same world as the volume's.
 */
export function centredGrid(vol: Volume, size: Dims3, spacing: number): { dims: Dims3; affine: number[] } {
  // grid index c ↦ volume index ((c − (m−1)/2)·t/s + (n−1)/2) per NIfTI axis (w, h, d) = dims axis 2, 1, 0.
  const s4 = new Array<number>(16).fill(0);
  s4[15] = 1;
  for (let c = 0; c < 3; c++) {
    const a = 2 - c;
    const k = spacing / vol.spacing[a];
    s4[c * 4 + c] = k;
    s4[c * 4 + 3] = (vol.dims[a] - 1) / 2 - ((size[a] - 1) / 2) * k;
  }
  return { dims: [...size], affine: mul4(vol.affine, s4) };
}

/**
 * `vol` resampled onto the grid (`dims`, `affine`) through world coordinates: trilinear (or nearest), with
 * PyTorch grid_sample's zeros padding (corners outside the volume count as `outside`, default 0).
 */
export function resampleOnto(
  vol: Volume,
  dims: Dims3,
  affine: number[],
  opts: { mode?: 'linear' | 'nearest'; outside?: number } = {},
): Volume {
  const m = mul4(invertAffine(vol.affine), affine); // grid index (w, h, d) → volume index
  const out = new Float32Array(voxelCount(dims));
  const sampler =
    opts.mode === 'nearest' ? nearestSampler(vol, opts.outside ?? 0) : linearSampler(vol, opts.outside ?? 0);
  const [D, H, W] = dims;
  let o = 0;
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++) {
      let x = m[1] * h + m[2] * d + m[3];
      let y = m[5] * h + m[6] * d + m[7];
      let z = m[9] * h + m[10] * d + m[11];
      for (let w = 0; w < W; w++, x += m[0], y += m[4], z += m[8]) out[o++] = sampler(x, y, z);
    }
  return { data: out, dims: [...dims], affine: [...affine], spacing: spacingOf(affine), name: vol.name };
}

/** A trilinear sampler at continuous index (w, h, d) = (x, y, z); corners outside read `outside`. */
export function linearSampler(
  vol: Pick<Volume, 'data' | 'dims'>,
  outside = 0,
  offset = 0,
): (x: number, y: number, z: number) => number {
  const [D, H, W] = vol.dims;
  const data = vol.data;
  const at = (w: number, h: number, d: number) =>
    w < 0 || h < 0 || d < 0 || w >= W || h >= H || d >= D ? outside : data[offset + (d * H + h) * W + w];
  return (x, y, z) => {
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const z0 = Math.floor(z);
    if (x0 < -1 || y0 < -1 || z0 < -1 || x0 >= W || y0 >= H || z0 >= D) return outside;
    const fx = x - x0;
    const fy = y - y0;
    const fz = z - z0;
    const c00 = at(x0, y0, z0) * (1 - fx) + at(x0 + 1, y0, z0) * fx;
    const c10 = at(x0, y0 + 1, z0) * (1 - fx) + at(x0 + 1, y0 + 1, z0) * fx;
    const c01 = at(x0, y0, z0 + 1) * (1 - fx) + at(x0 + 1, y0, z0 + 1) * fx;
    const c11 = at(x0, y0 + 1, z0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1, z0 + 1) * fx;
    return (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz;
  };
}

/** A nearest-neighbour sampler at continuous index (w, h, d) = (x, y, z) (rounded half up); outside reads `outside`. */
export function nearestSampler(
  vol: Pick<Volume, 'data' | 'dims'>,
  outside = 0,
): (x: number, y: number, z: number) => number {
  const [D, H, W] = vol.dims;
  return (x, y, z) => {
    const [w, h, d] = [Math.round(x), Math.round(y), Math.round(z)];
    return w < 0 || h < 0 || d < 0 || w >= W || h >= H || d >= D ? outside : vol.data[(d * H + h) * W + w];
  };
}

/** "181x217x181" (NIfTI order i x j x k, as viewers show it). */
export function dimsText(dims: readonly number[]): string {
  return [dims[2], dims[1], dims[0]].join('x');
}

/** "1 mm" or "0.9x0.9x1.2 mm" (NIfTI order). */
export function spacingText(s: readonly number[]): string {
  const r = (v: number) => String(Number(v.toFixed(2)));
  return s.every((v) => Math.abs(v - s[0]) < 1e-6) ? `${r(s[0])} mm` : `${[s[2], s[1], s[0]].map(r).join('x')} mm`;
}
