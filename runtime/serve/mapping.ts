import { apply4, invertAffine, mul4, type Mat4 } from '../data/affine';
import { spacingOf, voxelCount, type Dims3, type Volume } from '../data/volume';
import { linearSampler, nearestSampler, type VectorVolume } from './grid';

/** The spatial conventions of a GVSL model (graphs/gvsl.ts `Geometry`). */
export type Geometry = 'exact' | 'official';

/**
 * What GVSL's outputs mean geometrically. The network works on voxel grids: for a fixed-grid voxel p, the
 * warped moving image reads the moving grid at q(p) = Aff(r(p)):
 * - geometry `exact`: r = p + flow(p) and Aff(x) = c + M·(x − c) + t, all in (d, h, w) order, c = (S − 1)/2,
 *   t in voxels (one sampling of the composed field);
 * - geometry `official`: r_a = (p_a + flow_a(p))·S_a/(S_a − 1) − 0.5 per axis (the SpatialTransformer's
 *   align_corners=True normalisation read back with align_corners=False), and Aff maps normalised centres
 *   n = (2p + 1)/S − 1 (x = w, y = h, z = d) through [L | t'] with translation row r divided by (D, H, W)[r],
 *   then back to voxels (the AffineTransformer; two samplings, affine then flow).
 * The functions below turn that into a voxel map, a world-space affine and a displacement field in mm.
 */

/** The 4x4 voxel map Aff (fixed grid index (w, h, d, 1) → moving grid index) of a 3x4 GVSL matrix `mat` (row-major). */
export function affineVoxelMap(mat: ArrayLike<number>, dims: Dims3, geometry: Geometry): Mat4 {
  const [D, H, W] = dims;
  if (geometry === 'exact') {
    // Rows and columns (d, h, w) → (w, h, d): reverse both; Aff(x) = M·x + (c + t − M·c).
    const m = [2, 1, 0].flatMap((r) => [2, 1, 0].map((c) => mat[r * 4 + c]));
    const t = [2, 1, 0].map((r) => mat[r * 4 + 3]);
    const c = [(W - 1) / 2, (H - 1) / 2, (D - 1) / 2];
    const rows = [0, 1, 2].flatMap((r) => [
      m[r * 3],
      m[r * 3 + 1],
      m[r * 3 + 2],
      c[r] + t[r] - (m[r * 3] * c[0] + m[r * 3 + 1] * c[1] + m[r * 3 + 2] * c[2]),
    ]);
    return [...rows, 0, 0, 0, 1];
  }
  const S = [W, H, D];
  const tdiv = [D, H, W]; // NOTE: the official code divides row 0 (x = w) by D and row 2 (z = d) by W
  const theta = [0, 1, 2].flatMap((r) => [mat[r * 4], mat[r * 4 + 1], mat[r * 4 + 2], mat[r * 4 + 3] / tdiv[r]]);
  const toNorm = [2 / S[0], 0, 0, 1 / S[0] - 1, 0, 2 / S[1], 0, 1 / S[1] - 1, 0, 0, 2 / S[2], 1 / S[2] - 1, 0, 0, 0, 1];
  const fromNorm = [
    S[0] / 2,
    0,
    0,
    (S[0] - 1) / 2,
    0,
    S[1] / 2,
    0,
    (S[1] - 1) / 2,
    0,
    0,
    S[2] / 2,
    (S[2] - 1) / 2,
    0,
    0,
    0,
    1,
  ];
  return mul4(fromNorm, mul4([...theta, 0, 0, 0, 1], toNorm));
}

/** The affine part as a world map (fixed RAS mm → moving RAS mm) between the two model grids. */
export function worldAffine(
  mat: ArrayLike<number>,
  dims: Dims3,
  fixedGrid: number[],
  movingGrid: number[],
  geometry: Geometry,
): Mat4 {
  return mul4(movingGrid, mul4(affineVoxelMap(mat, dims, geometry), invertAffine(fixedGrid)));
}

/**
 * The full transform as a displacement field on the fixed model grid: u(x) = T(x) − x in mm (RAS+ x, y, z
 * components), where T maps a fixed world point to the moving world point the network samples
 * (affine and deformable parts together). Component-major: data[c·n + voxel].
 */
export function displacementField(
  flow: Float32Array,
  mat: ArrayLike<number>,
  dims: Dims3,
  fixedGrid: number[],
  movingGrid: number[],
  geometry: Geometry,
): VectorVolume {
  const [D, H, W] = dims;
  const n = voxelCount(dims);
  if (flow.length !== 3 * n)
    throw new Error(`displacementField: flow has ${flow.length} values, 3x${dims.join('x')} needs ${3 * n}`);
  const world = mul4(movingGrid, affineVoxelMap(mat, dims, geometry)); // r → moving grid index → world
  const out = new Float32Array(3 * n);
  // r = (p + flow)·k − o per axis: k = 1, o = 0 for exact; the official normalisation otherwise.
  const official = geometry === 'official';
  const k = official ? [D / (D - 1), H / (H - 1), W / (W - 1)] : [1, 1, 1];
  const o = official ? 0.5 : 0;
  let i = 0;
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++, i++) {
        const rd = (d + flow[i]) * k[0] - o;
        const rh = (h + flow[n + i]) * k[1] - o;
        const rw = (w + flow[2 * n + i]) * k[2] - o;
        const t = apply4(world, [rw, rh, rd]);
        const x = apply4(fixedGrid, [w, h, d]);
        for (let c = 0; c < 3; c++) out[c * n + i] = t[c] - x[c];
      }
  return { data: out, components: 3, dims: [...dims], affine: [...fixedGrid], spacing: spacingOf(fixedGrid) };
}

/**
 * The displacement field resampled onto `target`'s grid (e.g. the full-resolution fixed image), exactly as
 * warpThroughField samples it (trilinear, clamped to the field's border): moving(x + u(x)) with this field is
 * the warped image voxel for voxel.
 */
export function fieldOnGrid(disp: VectorVolume, target: Pick<Volume, 'dims' | 'affine'>): VectorVolume {
  const [D, H, W] = target.dims;
  const F = mul4(invertAffine(disp.affine), target.affine);
  const [fd, fh, fw] = disp.dims;
  const nf = voxelCount(disp.dims);
  const n = voxelCount(target.dims);
  const u = [0, 1, 2].map((c) => linearSampler(disp, 0, c * nf));
  const out = new Float32Array(3 * n);
  let o = 0;
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++, o++) {
        const px = Math.min(fw - 1, Math.max(0, F[0] * w + F[1] * h + F[2] * d + F[3]));
        const py = Math.min(fh - 1, Math.max(0, F[4] * w + F[5] * h + F[6] * d + F[7]));
        const pz = Math.min(fd - 1, Math.max(0, F[8] * w + F[9] * h + F[10] * d + F[11]));
        out[o] = u[0](px, py, pz);
        out[n + o] = u[1](px, py, pz);
        out[2 * n + o] = u[2](px, py, pz);
      }
  return {
    data: out,
    components: 3,
    dims: [...target.dims],
    affine: [...target.affine],
    spacing: spacingOf(target.affine),
    name: disp.name,
  };
}

/** NIfTI intent code NIFTI_INTENT_VECTOR: a vector per voxel (dim[5] components). */
export const NIFTI_INTENT_VECTOR = 1007;

/** RAS+ displacement components → LPS (ITK's physical frame, ANTs' warp files): x and y negate. */
export function toLps(v: VectorVolume): VectorVolume {
  const n = v.data.length / 3;
  const data = v.data.slice();
  for (let i = 0; i < 2 * n; i++) data[i] = -data[i];
  return { ...v, data };
}

/**
 * `moving` (any grid, its own intensities) resampled onto `target`'s grid through a displacement field:
 * voxel x of the target reads the moving image at world T(X) = X + u(X), u interpolated trilinearly
 * (clamped at the field's border) and the moving image sampled trilinearly (0 outside). This is what a viewer
 * does when it applies `displacement` as a transform. `mode: 'nearest'` samples the moving volume at the nearest
 * voxel instead (label maps: values are kept, never blended; the field itself is still interpolated).
 */
export function warpThroughField(
  moving: Volume,
  target: Pick<Volume, 'dims' | 'affine'>,
  disp: VectorVolume,
  opts: { mode?: 'linear' | 'nearest' } = {},
): Volume {
  const [D, H, W] = target.dims;
  const A = target.affine;
  const F = mul4(invertAffine(disp.affine), A); // target index → field index
  const M = invertAffine(moving.affine); // world → moving index
  const [fd, fh, fw] = disp.dims;
  const nf = voxelCount(disp.dims);
  const u = [0, 1, 2].map((c) => linearSampler(disp, 0, c * nf));
  const sample = opts.mode === 'nearest' ? nearestSampler(moving, 0) : linearSampler(moving, 0);
  const out = new Float32Array(voxelCount(target.dims));
  let o = 0;
  // NOTE: written out (no per-voxel arrays): this runs on every voxel of the full-resolution fixed image.
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) {
        const X = A[0] * w + A[1] * h + A[2] * d + A[3];
        const Y = A[4] * w + A[5] * h + A[6] * d + A[7];
        const Z = A[8] * w + A[9] * h + A[10] * d + A[11];
        // The field's index, clamped to its border (the field is extended, not zero, outside its grid).
        const px = Math.min(fw - 1, Math.max(0, F[0] * w + F[1] * h + F[2] * d + F[3]));
        const py = Math.min(fh - 1, Math.max(0, F[4] * w + F[5] * h + F[6] * d + F[7]));
        const pz = Math.min(fd - 1, Math.max(0, F[8] * w + F[9] * h + F[10] * d + F[11]));
        const x = X + u[0](px, py, pz);
        const y = Y + u[1](px, py, pz);
        const z = Z + u[2](px, py, pz);
        out[o++] = sample(
          M[0] * x + M[1] * y + M[2] * z + M[3],
          M[4] * x + M[5] * y + M[6] * z + M[7],
          M[8] * x + M[9] * y + M[10] * z + M[11],
        );
      }
  return {
    data: out,
    dims: [...target.dims],
    affine: [...target.affine],
    spacing: spacingOf(target.affine),
    name: moving.name,
  };
}
