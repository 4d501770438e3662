import { add, concat, div, matmul, mul, neg, reshape, slice, sub } from '../sdk/ops';
import { BuildError } from '../sdk/errors';
import type { Tensor } from '../sdk/tensor';
import { trilinearSample } from './sampling';

/** Σ c_k·x^(2k) by Horner's rule in x². */
function evenSeries(x2: Tensor, coeffs: number[]): Tensor {
  return coeffs
    .slice(0, -1)
    .reduceRight((acc, c) => add(mul(acc, x2), c), x2.graph.scalar(coeffs[coeffs.length - 1], x2.dtype) as Tensor);
}

const SIN = [1, -1 / 6, 1 / 120, -1 / 5040, 1 / 362880, -1 / 39916800];
const COS = [1, -1 / 2, 1 / 24, -1 / 720, 1 / 40320, -1 / 3628800, 1 / 479001600];

/**
 * sin and cos of angles with |x| ≤ 1 (the heads clamp rotations to ±π/9 and shears to ±π/18) as Taylor
 * polynomials: float32-exact there (truncation < 3e-10) and identical on every execution provider.
 * NOTE: WebGPU's sin/cos/tan are approximations (relative errors ~1e-4 measured on SwiftShader), which moved
 * the warped volume by ~5e-3 against the CPU.
 */
export function sinSmall(x: Tensor): Tensor {
  return mul(x, evenSeries(mul(x, x), SIN));
}

export function cosSmall(x: Tensor): Tensor {
  return evenSeries(mul(x, x), COS);
}

/** Per-batch scalars (N, 1) → batched 3×3 matrices (N, 3, 3), row-major. */
function mat3RowMajor(entries: Tensor[]): Tensor {
  return reshape(concat(entries, 1), [entries[0].shape[0], 3, 3]);
}

/** Axis order of an affine matrix's rows and columns: the official (x, y, z) = (W, H, D), or (D, H, W). */
export type MatrixAxes = 'xyz' | 'dhw';

/**
 * The GVSL affine matrix (N, 3, 4) = [Shear·Scale·Rz·Ry·Rx | t] from rot (N,3), scale (N,3), trans (N,3),
 * shear (N,6) (radians), built from differentiable ops for any batch size. The product is defined on
 * (x, y, z) = (W, H, D) as in the official code (rot[0] turns about x, trans[0] moves along x); with
 * `axes: 'dhw'` it is returned with its axes reversed, rows and columns (D, H, W) and t = (t_z, t_y, t_x):
 * P·M·P | P·t with P the reversal, the same matrix as the data pipeline's `gvslMatrix` for the same values.
 * NOTE: the official code builds it with torch.FloatTensor([...]), which cuts the gradient to the affine
 * heads and only works for batch 1; here every head gets its gradient.
 */
export function affineMatrix(
  rot: Tensor,
  scale: Tensor,
  trans: Tensor,
  shear: Tensor,
  axes: MatrixAxes = 'xyz',
): Tensor {
  const n = rot.shape[0];
  const g = rot.graph;
  // Reversing a row-major 3×3 entry list maps (r, c) to (2 − r, 2 − c): P·A·P, and P·(AB)·P = (P·A·P)(P·B·P).
  const mat3 = (entries: Tensor[]) => mat3RowMajor(axes === 'dhw' ? [...entries].reverse() : entries);
  const col = (t: Tensor, i: number) => slice(t, { axes: [1], starts: [i], ends: [i + 1] });
  const one = g.full([n, 1], 1, rot.dtype);
  const zero = g.full([n, 1], 0, rot.dtype);
  const [cx, cy, cz] = [0, 1, 2].map((i) => cosSmall(col(rot, i)));
  const [sx, sy, sz] = [0, 1, 2].map((i) => sinSmall(col(rot, i)));
  const rx = mat3([one, zero, zero, zero, cx, neg(sx), zero, sx, cx]);
  const ry = mat3([cy, zero, sy, zero, one, zero, neg(sy), zero, cy]);
  const rz = mat3([cz, neg(sz), zero, sz, cz, zero, zero, zero, one]);
  const sc = mat3([col(scale, 0), zero, zero, zero, col(scale, 1), zero, zero, zero, col(scale, 2)]);
  const tan = div(sinSmall(shear), cosSmall(shear));
  const sh = mat3([one, col(tan, 0), col(tan, 1), col(tan, 2), one, col(tan, 3), col(tan, 4), col(tan, 5), one]);
  const m = matmul(sh, matmul(sc, matmul(rz, matmul(ry, rx))));
  const t =
    axes === 'dhw'
      ? concat(
          [2, 1, 0].map((i) => col(trans, i)),
          1,
        )
      : trans;
  return concat([m, reshape(t, [n, 3, 1])], 2);
}

/** Normalised coordinates of voxel centres along an axis of `s` voxels, align_corners=False: (2i+1)/s − 1. */
function centres(s: number): number[] {
  return Array.from({ length: s }, (_, i) => (2 * i + 1) / s - 1);
}

/**
 * Official GVSL `AffineTransformer` (geometry 'official'): affine_grid(mat with its translation column divided
 * by the volume size (D, H, W) per row) + grid_sample(bilinear, zeros, align_corners=False). Matrix rows
 * produce (x, y, z) = (W, H, D) grid coordinates, as torch's affine_grid does. `src` (N, C, D, H, W), `mat`
 * (N, 3, 4).
 */
export function affineWarpOfficial(src: Tensor, mat: Tensor): Tensor {
  const [n, , d, h, w] = src.shape;
  const g = src.graph;
  const norm = g.constant([1, 1, 1, d, 1, 1, 1, h, 1, 1, 1, w], mat.dtype, [1, 3, 4]);
  const theta = div(mat, norm);
  // Base grid rows (x, y, z) over voxels in (d, h, w) order; torch.affine_grid with align_corners=False.
  const [bx, by, bz] = [centres(w), centres(h), centres(d)];
  const base = new Float32Array(3 * d * h * w);
  let k = 0;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < h; j++)
      for (let q = 0; q < w; q++, k++) {
        base[k] = bx[q];
        base[d * h * w + k] = by[j];
        base[2 * d * h * w + k] = bz[i];
      }
  const lin = slice(theta, { axes: [2], starts: [0], ends: [3] });
  const off = slice(theta, { axes: [2], starts: [3], ends: [4] });
  const grid = add(matmul(lin, g.constant(base, mat.dtype, [3, d * h * w])), off); // (N, 3, S): x, y, z
  // grid_sample, align_corners=False: voxel = ((g + 1)·size − 1) / 2.
  const vox = (row: number, size: number) =>
    reshape(div(sub(mul(add(slice(grid, { axes: [1], starts: [row], ends: [row + 1] }), 1), size), 1), 2), [
      n,
      d,
      h,
      w,
    ]);
  return trilinearSample(src, vox(2, d), vox(1, h), vox(0, w));
}

/**
 * Official GVSL `SpatialTransformer` (geometry 'official'): samples `src` at (identity grid + flow), flow
 * channels (D, H, W) in voxels, normalised with the align_corners=True convention 2(p/(S−1) − 0.5) but sampled
 * by grid_sample with align_corners=False, so the voxel actually read is p·S/(S−1) − 0.5 (a zero flow is not
 * the identity; see docs/geometry.md, row 1 of the differences from the official code).
 */
export function flowWarpOfficial(src: Tensor, flow: Tensor): Tensor {
  const [n, , d, h, w] = src.shape;
  const g = src.graph;
  const sizes = [d, h, w];
  if (sizes.some((s) => s < 2)) {
    throw new BuildError(
      'flowWarpOfficial',
      g.scope,
      `the official flow normalisation divides by size − 1, so every spatial size must be at least 2; got ${sizes.join('x')}`,
    );
  }
  const coords = sizes.map((s, axis) => {
    const grid = new Float32Array(d * h * w);
    let k = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < h; j++) for (let q = 0; q < w; q++, k++) grid[k] = [i, j, q][axis];
    const p = add(
      reshape(slice(flow, { axes: [1], starts: [axis], ends: [axis + 1] }), [n, d, h, w]),
      g.constant(grid, flow.dtype, [1, d, h, w]),
    );
    return sub(mul(p, s / (s - 1)), 0.5);
  });
  return trilinearSample(src, coords[0], coords[1], coords[2]);
}

/** The volume centre (S − 1)/2 per axis, in voxels. */
const centre = (dims: readonly number[]) => dims.map((s) => (s - 1) / 2);

/** Voxel positions minus `origin`, rows (d, h, w), voxels in (d, h, w) scan order: (3, D·H·W). */
function voxelGrid(d: number, h: number, w: number, origin: readonly number[] = [0, 0, 0]): Float32Array {
  const s = d * h * w;
  const grid = new Float32Array(3 * s);
  let k = 0;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < h; j++)
      for (let q = 0; q < w; q++, k++) {
        grid[k] = i - origin[0];
        grid[s + k] = j - origin[1];
        grid[2 * s + k] = q - origin[2];
      }
  return grid;
}

/** Samples `src` at voxel coordinates `q` (N, 3, D·H·W), rows (d, h, w), on src's own grid. */
function sampleAt(src: Tensor, q: Tensor): Tensor {
  const [n, , d, h, w] = src.shape;
  const row = (r: number) => reshape(slice(q, { axes: [1], starts: [r], ends: [r + 1] }), [n, d, h, w]);
  return trilinearSample(src, row(0), row(1), row(2));
}

/**
 * The source position of every output voxel p under the exact convention: q = c + M·(r − c) + t with
 * r = p + flow(p), c = (S − 1)/2 per axis, `mat` = [M | t] (N, 3, 4) with rows and columns (D, H, W) and t in
 * voxels. The offsets r − c are formed first, so an identity M, t = 0 and a zero flow give q = p exactly.
 */
function exactCoords(mat: Tensor, dims: readonly number[], flow?: Tensor): Tensor {
  const [d, h, w] = dims;
  const n = mat.shape[0];
  const g = mat.graph;
  const grid = g.constant(voxelGrid(d, h, w, centre(dims)), mat.dtype, [1, 3, d * h * w]);
  const r = flow ? add(reshape(flow, [n, 3, d * h * w]), grid) : grid;
  const lin = slice(mat, { axes: [2], starts: [0], ends: [3] });
  const t = slice(mat, { axes: [2], starts: [3], ends: [4] });
  return add(matmul(lin, r), add(t, g.constant(centre(dims), mat.dtype, [1, 3, 1])));
}

function checkMatrix(op: string, src: Tensor, mat: Tensor): void {
  if (mat.rank !== 3 || mat.shape[0] !== src.shape[0] || mat.shape[1] !== 3 || mat.shape[2] !== 4) {
    throw new BuildError(
      op,
      src.graph.scope,
      `needs a matrix (N, 3, 4) with N = ${src.shape[0]} (src ${src.shape.join('x')}), got ${mat.shape.join('x')}`,
    );
  }
}

/**
 * Exact affine warp (geometry 'exact'): output voxel p samples `src` (N, C, D, H, W) at c + M·(p − c) + t, with
 * `mat` = [M | t] (N, 3, 4), rows and columns (D, H, W), M about the volume centre c = (S − 1)/2, t in
 * voxels along the axis its row names. The identity matrix is the exact identity. The data pipeline's
 * spatial augmentation (runtime/data/augment/spatial.ts) uses the same convention.
 */
export function affineWarp(src: Tensor, mat: Tensor): Tensor {
  checkMatrix('affineWarp', src, mat);
  return sampleAt(src, exactCoords(mat, src.shape.slice(2)));
}

/** Exact flow warp: output voxel p samples `src` at p + flow(p), flow (N, 3, D, H, W) in voxels, channels (D, H, W). */
export function flowWarp(src: Tensor, flow: Tensor): Tensor {
  const [n, , d, h, w] = src.shape;
  const g = src.graph;
  const grid = g.constant(voxelGrid(d, h, w), flow.dtype, [1, 3, d * h * w]);
  const q = add(reshape(flow, [n, 3, d * h * w]), grid);
  return sampleAt(src, q);
}

/**
 * The fused warp of GVSL's Z-matching (geometry 'exact'): the affine [M | t] and the deformable flow composed
 * into ONE displacement field u(p) = A(p + flow(p)) − p, A(x) = c + M·(x − c) + t, sampled once:
 * output voxel p samples `src` at A(p + flow(p)). The flow is predicted from affine-warped features, so it acts
 * in the affinely aligned space: this equals flowWarp(affineWarp(src, mat), flow) up to the second
 * interpolation that it saves (and without that path's zero padding between the two warps).
 */
export function composedWarp(src: Tensor, mat: Tensor, flow: Tensor): Tensor {
  checkMatrix('composedWarp', src, mat);
  return sampleAt(src, exactCoords(mat, src.shape.slice(2), flow));
}
