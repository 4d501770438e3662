import type { Rng } from '../../../sdk/nn/rng';
import { mul3 } from '../affine';
import type { Dims3 } from '../volume';
import { elasticField } from './elastic';

/** Ranges of GVSL's shared spatial augmentation (Train_GVSL.py). */
export interface SpatialOptions {
  /** Rotation per axis in [−rotation, rotation] rad (π/9). */
  rotation?: number;
  /** Scale per axis (0.75..1.25). */
  scale?: [number, number];
  /** Translation per axis in [−t, t] × the axis size, in voxels (0.1). */
  translation?: number;
  /** The six shear angles in [−shear, shear] rad (π/18). */
  shear?: number;
  /** Elastic magnitude range (0..512) and Gaussian sigma range in voxels (10..13). */
  alpha?: [number, number];
  sigma?: [number, number];
  /** Elastic deformation on (default true). */
  elastic?: boolean;
  /**
   * Reproduce the official warps: matrix applied in torch's normalised [−1, 1] coordinates (anisotropic for
   * non-cubic crops) and a translation of only ±t/2 of the size; elastic field centred at S//2 (+½ voxel
   * on even axes); the voxelmorph-style flow normalisation by S − 1 under grid_sample's align_corners=False,
   * a zoom by S/(S − 1). The official warps twice (affine, then flow); we always sample once.
   */
  official?: boolean;
}

/** Explicit parameters, in GVSL's (x, y, z) = (w, h, d) order; angles in radians. */
export interface SpatialValues {
  rotation: [number, number, number];
  scale: [number, number, number];
  /** tan() arguments for (xy, xz, yx, yz, zx, zy). */
  shear: [number, number, number, number, number, number];
  /** Fractions of the size along x, y, z. */
  translation: [number, number, number];
}

/**
 * One spatial transform of a [D, H, W] grid, as a pull-back: output voxel p = (d, h, w) samples the input at
 * `sourceCoord(p)` = centre + matrix · (r − centre) + translation, with r = p + flow(p) (official mode:
 * r = (p + flow(p))·S/(S − 1) − ½ per axis, the zoom of its flow stage).
 */
export interface SpatialParams {
  dims: Dims3;
  /** 3x3 row-major on (d, h, w) voxel offsets. */
  matrix: number[];
  /** Voxels, (d, h, w). */
  translation: [number, number, number];
  /** (S − 1)/2 per axis. */
  centre: [number, number, number];
  /** Displacement in voxels, channels (d, h, w) of D·H·W each, or null. */
  flow: Float32Array | null;
  official: boolean;
  values: SpatialValues & { alpha: number; sigma: number };
}

/** GVSL's matrix shear · scale · Rz · Ry · Rx on (x, y, z), returned on (d, h, w) (axes reversed). */
export function gvslMatrix(v: SpatialValues): number[] {
  const [ax, ay, az] = v.rotation;
  const [cx, sx, cy, sy, cz, sz] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)];
  const rx = [1, 0, 0, 0, cx, -sx, 0, sx, cx];
  const ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const rz = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
  const sc = [v.scale[0], 0, 0, 0, v.scale[1], 0, 0, 0, v.scale[2]];
  const t = v.shear.map(Math.tan);
  const sh = [1, t[0], t[1], t[2], 1, t[3], t[4], t[5], 1];
  const xyz = mul3(sh, mul3(sc, mul3(rz, mul3(ry, rx))));
  return Array.from({ length: 9 }, (_, k) => xyz[(2 - Math.floor(k / 3)) * 3 + (2 - (k % 3))]);
}

/** The transform for explicit values and an optional elastic field (voxels, channels d, h, w). */
export function spatialParams(dims: Dims3, values: SpatialValues, flow: Float32Array | null = null, official = false, elastic = { alpha: 0, sigma: 0 }): SpatialParams {
  const centre = dims.map((s) => (s - 1) / 2) as [number, number, number];
  const tDhw = [values.translation[2], values.translation[1], values.translation[0]];
  let matrix = gvslMatrix(values);
  let translation = dims.map((s, a) => tDhw[a] * s) as [number, number, number];
  if (official) {
    // affine_grid works on x_n = (2p + 1)/S − 1, so in voxels M[a][b]·S_a/S_b and t·S/2.
    matrix = matrix.map((m, k) => (m * dims[Math.floor(k / 3)]) / dims[k % 3]);
    translation = dims.map((s, a) => (tDhw[a] * s) / 2) as [number, number, number];
    const n = dims[0] * dims[1] * dims[2];
    const shifted = new Float32Array(3 * n);
    for (let c = 0; c < 3; c++) {
      const half = Math.floor(dims[c] / 2) - (dims[c] - 1) / 2;
      for (let i = 0; i < n; i++) shifted[c * n + i] = (flow ? flow[c * n + i] : 0) + half;
    }
    flow = shifted;
  }
  return { dims: [...dims], matrix, translation, centre, flow, official, values: { ...values, ...elastic } };
}

/** Draws a transform with GVSL's ranges (order as the official rand_coords: rotation, scale, shear, shift, elastic). */
export function drawSpatial(dims: Dims3, rng: Rng, opts: SpatialOptions = {}): SpatialParams {
  const rot = opts.rotation ?? Math.PI / 9;
  const [s0, s1] = opts.scale ?? [0.75, 1.25];
  const sh = opts.shear ?? Math.PI / 18;
  const tr = opts.translation ?? 0.1;
  const three = (f: () => number) => [f(), f(), f()] as [number, number, number];
  const rotation = three(() => rng.uniform(-rot, rot));
  const scale = three(() => rng.uniform(s0, s1));
  const shear = [0, 1, 2, 3, 4, 5].map(() => rng.uniform(-sh, sh)) as SpatialValues['shear'];
  const translation = three(() => rng.uniform(-tr, tr));
  let flow: Float32Array | null = null;
  let elastic = { alpha: 0, sigma: 0 };
  if (opts.elastic ?? true) {
    const [a0, a1] = opts.alpha ?? [0, 512];
    const [g0, g1] = opts.sigma ?? [10, 13];
    elastic = { alpha: rng.uniform(a0, a1), sigma: rng.uniform(g0, g1) };
    flow = elasticField(dims, elastic.alpha, elastic.sigma, rng);
  }
  return spatialParams(dims, { rotation, scale, shear, translation }, flow, opts.official ?? false, elastic);
}

/** The input position (d, h, w), in voxels, that output voxel (d, h, w) samples. */
export function sourceCoord(p: SpatialParams, d: number, h: number, w: number): [number, number, number] {
  const [D, H, W] = p.dims;
  const i = (d * H + h) * W + w;
  const n = D * H * W;
  const r = [d, h, w];
  if (p.flow) for (let c = 0; c < 3; c++) r[c] += p.flow[c * n + i];
  if (p.official) for (let c = 0; c < 3; c++) r[c] = p.dims[c] > 1 ? (r[c] * p.dims[c]) / (p.dims[c] - 1) - 0.5 : r[c];
  const m = p.matrix;
  const [x, y, z] = [r[0] - p.centre[0], r[1] - p.centre[1], r[2] - p.centre[2]];
  return [
    p.centre[0] + m[0] * x + m[1] * y + m[2] * z + p.translation[0],
    p.centre[1] + m[3] * x + m[4] * y + m[5] * z + p.translation[1],
    p.centre[2] + m[6] * x + m[7] * y + m[8] * z + p.translation[2],
  ];
}
