import { UserError } from '../engine/errors';
import { invertAffine } from '../data/affine';
import { voxelCount, type Dims3, type Volume } from '../data/volume';
import { dimsText, type VectorVolume } from './grid';
import { displacementField, warpThroughField } from './mapping';
import type { RegistrationResult } from './pipeline';

/**
 * Registration quality as registration papers report it (VoxelMorph, TransMorph, Learn2Reg): the Dice overlap of
 * the moving labels warped onto the fixed image with the fixed labels, before and after registration; the share
 * of voxels where the deformation folds (Jacobian determinant ≤ 0); and the image similarity of the pair.
 * Plain TypeScript on typed arrays (no Node imports: the browser app can use it too).
 */

/** The Dice overlap of one label. */
export interface LabelDice {
  label: number;
  /** 2|F ∩ W| / (|F| + |W|); 0 when the label is in one map only. */
  dice: number;
  /** Voxels of the label in the fixed map and in the warped map. */
  fixedVoxels: number;
  warpedVoxels: number;
}

export interface DiceSummary {
  /** The scored labels, ascending. */
  labels: LabelDice[];
  /** Mean Dice over the labels that have a value (NaN when none has). */
  mean: number;
}

/**
 * Per-label Dice of two label maps on one grid. `labels`: the labels to score, default every non-zero label of
 * the fixed map (VoxelMorph's convention: a label the moving map lacks scores 0); a listed label absent from both
 * maps has Dice NaN and stays out of the mean.
 */
export function labelDice(
  fixed: ArrayLike<number>,
  warped: ArrayLike<number>,
  labels?: readonly number[],
): DiceSummary {
  if (fixed.length !== warped.length) throw new Error(`labelDice: ${fixed.length} vs ${warped.length} voxels`);
  const counts = new Map<number, [number, number, number]>(); // label → [fixed, warped, both]
  const at = (l: number) => {
    let c = counts.get(l);
    if (!c) counts.set(l, (c = [0, 0, 0]));
    return c;
  };
  for (let i = 0; i < fixed.length; i++) {
    const f = fixed[i];
    const w = warped[i];
    if (f !== 0) at(f)[0]++;
    if (w !== 0) at(w)[1]++;
    if (f !== 0 && f === w) at(f)[2]++;
  }
  const wanted = labels ?? [...counts].filter(([, c]) => c[0] > 0).map(([l]) => l);
  const out = [...wanted]
    .sort((a, b) => a - b)
    .map((label): LabelDice => {
      const [fv, wv, both] = counts.get(label) ?? [0, 0, 0];
      return { label, dice: fv + wv ? (2 * both) / (fv + wv) : NaN, fixedVoxels: fv, warpedVoxels: wv };
    });
  const valid = out.filter((d) => !Number.isNaN(d.dice));
  return { labels: out, mean: valid.length ? valid.reduce((s, d) => s + d.dice, 0) / valid.length : NaN };
}

/**
 * Checks that `labels` is a label map for `image`: the same voxel grid (dims and affine, to 1e-3 mm) and
 * non-negative integer values. `flag` names the label map in the message (e.g. `--labels moving-seg.nii.gz`).
 */
export function checkLabelMap(labels: Volume, image: Volume, flag: string, imageName: string): void {
  const sameDims = labels.dims.every((d, k) => d === image.dims[k]);
  const off = Math.max(
    ...labels.affine.slice(0, 12).map((v, k) => Math.abs(v - image.affine[k]) / (1 + Math.abs(image.affine[k]))),
  );
  if (!sameDims || !(off <= 1e-3)) {
    const what = sameDims
      ? 'its affine differs from the image'
      : `${dimsText(labels.dims)} voxels vs the image's ${dimsText(image.dims)}`;
    throw new UserError(
      `${flag}: not on the voxel grid of ${imageName} (${what}); a label map must share its image's grid (resample it with nearest neighbour first)`,
    );
  }
  const d = labels.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (Number.isInteger(v) && v >= 0) continue;
    const [W, H] = [labels.dims[2], labels.dims[1]];
    const ijk = [i % W, Math.floor(i / W) % H, Math.floor(i / (W * H))];
    throw new UserError(
      `${flag}: value ${v} at voxel (${ijk.join(', ')}) is not a label (labels are non-negative integers, 0 = background); give a label map, not an image or probabilities`,
    );
  }
}

/**
 * `labels` (a label map on the moving image's grid) carried onto `target`'s grid through the displacement
 * field, nearest neighbour (0 outside the moving volume): the warped labels of a registration.
 */
export function warpLabels(labels: Volume, target: Pick<Volume, 'dims' | 'affine'>, disp: VectorVolume): Volume {
  return warpThroughField(labels, target, disp, { mode: 'nearest' });
}

/**
 * The transform before registration, as the network sees it: identity affine and zero flow between the two
 * model grids (each volume's field of view centred on the grid), i.e. moving grid index = fixed grid index.
 */
export function modelIdentityField(r: Pick<RegistrationResult, 'model'>): VectorVolume {
  const { fixed, moving } = r.model;
  return displacementField(
    new Float32Array(3 * voxelCount(fixed.dims)),
    [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0],
    fixed.dims,
    fixed.affine,
    moving.affine,
    'exact',
  );
}

/**
 * The Jacobian determinant of T(x) = x + u(x) at every voxel of the field's grid, u in world mm (RAS) as
 * displacementField gives it: det(I + ∂u/∂x), the derivatives by central differences in voxels (one-sided at
 * the border, as numpy.gradient) taken to world coordinates through the grid's affine.
 */
export function jacobianDeterminant(disp: VectorVolume): Float32Array {
  const [D, H, W] = disp.dims;
  const n = D * H * W;
  const u = disp.data;
  const G = invertAffine(disp.affine); // world → index: ∂(w, h, d)/∂(x, y, z) = rows 0..2
  const out = new Float32Array(n);
  const steps = [1, W, W * H];
  const sizes = [W, H, D];
  const pos = [0, 0, 0];
  const dv = new Float64Array(9); // dv[c·3 + k] = ∂u_c/∂(index axis k), k = (w, h, d)
  let i = 0;
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++, i++) {
        pos[0] = w;
        pos[1] = h;
        pos[2] = d;
        for (let k = 0; k < 3; k++) {
          const p = pos[k];
          const s = steps[k];
          const lo = p > 0 ? i - s : i;
          const hi = p < sizes[k] - 1 ? i + s : i;
          const span = (hi - lo) / s || 1;
          for (let c = 0; c < 3; c++) dv[c * 3 + k] = (u[c * n + hi] - u[c * n + lo]) / span;
        }
        // J[c][j] = δ_cj + Σ_k ∂u_c/∂v_k · ∂v_k/∂x_j
        const J = [0, 0, 0, 0, 0, 0, 0, 0, 0];
        for (let c = 0; c < 3; c++)
          for (let j = 0; j < 3; j++) {
            J[c * 3 + j] = (c === j ? 1 : 0) + dv[c * 3] * G[j] + dv[c * 3 + 1] * G[4 + j] + dv[c * 3 + 2] * G[8 + j];
          }
        out[i] =
          J[0] * (J[4] * J[8] - J[5] * J[7]) - J[1] * (J[3] * J[8] - J[5] * J[6]) + J[2] * (J[3] * J[7] - J[4] * J[6]);
      }
  return out;
}

export interface JacobianSummary {
  /** Voxels with det ≤ 0 (folding) and their share in percent of the grid. */
  nonPositive: number;
  percentNonPositive: number;
  min: number;
  max: number;
  mean: number;
  /** Standard deviation of det (a smoothness measure some papers give). */
  std: number;
  voxels: number;
}

export function summarizeJacobian(det: Float32Array): JacobianSummary {
  let neg = 0;
  let min = Infinity;
  let max = -Infinity;
  let s = 0;
  let s2 = 0;
  for (const v of det) {
    if (v <= 0) neg++;
    if (v < min) min = v;
    if (v > max) max = v;
    s += v;
    s2 += v * v;
  }
  const n = det.length;
  const mean = s / n;
  return {
    nonPositive: neg,
    percentNonPositive: (100 * neg) / n,
    min,
    max,
    mean,
    std: Math.sqrt(Math.max(0, s2 / n - mean * mean)),
    voxels: n,
  };
}

/** Global normalised cross-correlation (Pearson's r) of two images of one size; 0 when either is constant. */
export function globalNcc(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`globalNcc: ${a.length} vs ${b.length} voxels`);
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** Sums over a cubic window of `win` voxels, zero padded (⌊win/2⌋ before), one axis at a time. */
function boxSum(x: Float64Array, dims: Dims3, win: number): Float64Array {
  const [D, H, W] = dims;
  const p = Math.floor(win / 2);
  let src = x;
  for (const [len, step] of [
    [W, 1],
    [H, W],
    [D, W * H],
  ] as const) {
    const dst = new Float64Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const pos = Math.floor(i / step) % len;
      let s = 0;
      const from = Math.max(0, pos - p);
      const to = Math.min(len - 1, pos - p + win - 1);
      for (let q = from; q <= to; q++) s += src[i + (q - pos) * step];
      dst[i] = s;
    }
    src = dst;
  }
  return src;
}

/**
 * Local NCC with a `win`³ window, the quantity GVSL's training loss maximises (graphs/losses.ts nccLoss, the
 * VoxelMorph formula with zero padding): mean(cross² / (var_a·var_b + 1e-5)); 1 − nccLoss.
 */
export function localNcc(a: ArrayLike<number>, b: ArrayLike<number>, dims: Dims3, win = 9): number {
  const n = voxelCount(dims);
  if (a.length !== n || b.length !== n)
    throw new Error(`localNcc: ${a.length} and ${b.length} voxels for a ${dims.join('x')} grid`);
  const I = Float64Array.from(a);
  const J = Float64Array.from(b);
  const sI = boxSum(I, dims, win);
  const sJ = boxSum(J, dims, win);
  const sII = boxSum(
    I.map((v) => v * v),
    dims,
    win,
  );
  const sJJ = boxSum(
    J.map((v) => v * v),
    dims,
    win,
  );
  const sIJ = boxSum(
    I.map((v, k) => v * J[k]),
    dims,
    win,
  );
  const m = win ** 3;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const uI = sI[i] / m;
    const uJ = sJ[i] / m;
    const cross = sIJ[i] - uJ * sI[i] - uI * sJ[i] + uI * uJ * m;
    const vI = sII[i] - 2 * uI * sI[i] + uI * uI * m;
    const vJ = sJJ[i] - 2 * uJ * sJ[i] + uJ * uJ * m;
    total += (cross * cross) / (vI * vJ + 1e-5);
  }
  return total / n;
}

export interface Similarity {
  /** Global NCC (Pearson's r) of the fixed image and the moving image. */
  ncc: number;
  /** Local NCC, 9³ window (the training loss's similarity). */
  localNcc: number;
}

export interface RegistrationMetrics {
  /** Image similarity on the model grid (the network's normalised inputs): fixed vs moving, fixed vs warped. */
  similarity: { grid: string; before: Similarity; after: Similarity };
  /** Folding of the whole transform (affine + deformable) on the fixed model grid. */
  jacobian: JacobianSummary & { grid: string };
  /**
   * Dice of the warped moving labels with the fixed labels on the fixed image's grid: `before` through the
   * model's identity (the fields of view centred on each other, what the network starts from), `scanner`
   * through world coordinates as the files place them, `after` through the predicted transform.
   */
  dice?: { grid: string; before: DiceSummary; scanner: DiceSummary; after: DiceSummary };
}

/**
 * The metrics of a registration (`r` from GvslModel.register, or finishRegistration); with `labels`, also the
 * Dice scores and the warped moving labels on the fixed image's grid. The label maps must be on their images'
 * grids (checkLabelMap).
 */
export function registrationMetrics(
  r: RegistrationResult,
  fixed: Pick<Volume, 'dims' | 'affine'>,
  labels?: { moving: Volume; fixed: Volume },
): { metrics: RegistrationMetrics; warpedLabels?: Volume } {
  const g = r.model.fixed;
  const grid = `fixed model grid ${dimsText(g.dims)}`;
  const sim = (x: Volume): Similarity => ({
    ncc: globalNcc(g.data, x.data),
    localNcc: localNcc(g.data, x.data, g.dims),
  });
  const metrics: RegistrationMetrics = {
    similarity: { grid, before: sim(r.model.moving), after: sim(r.model.warped) },
    jacobian: { ...summarizeJacobian(jacobianDeterminant(r.displacement)), grid },
  };
  if (!labels) return { metrics };
  const after = warpLabels(labels.moving, fixed, r.displacement);
  const before = warpLabels(labels.moving, fixed, modelIdentityField(r));
  const zero: VectorVolume = { ...r.displacement, data: new Float32Array(r.displacement.data.length) };
  const scanner = warpLabels(labels.moving, fixed, zero);
  const scored = labelDice(labels.fixed.data, labels.fixed.data).labels.map((d) => d.label); // the fixed map's labels
  metrics.dice = {
    grid: `fixed image ${dimsText(fixed.dims)}`,
    before: labelDice(labels.fixed.data, before.data, scored),
    scanner: labelDice(labels.fixed.data, scanner.data, scored),
    after: labelDice(labels.fixed.data, after.data, scored),
  };
  return { metrics, warpedLabels: after };
}

/** The metrics as a few lines for a terminal (at most `maxLabels` per-label Dice values are listed). */
export function metricsLines(m: RegistrationMetrics, maxLabels = 12): string[] {
  const f = (v: number) => v.toFixed(4);
  const s = m.similarity;
  const j = m.jacobian;
  const lines = [
    `similarity on the ${s.grid}: NCC ${f(s.before.ncc)} -> ${f(s.after.ncc)}, local NCC (9^3) ${f(s.before.localNcc)} -> ${f(s.after.localNcc)} (before -> after)`,
    `Jacobian determinant on the ${j.grid}: ${j.percentNonPositive.toFixed(3)}% of voxels <= 0 (${j.nonPositive} of ${j.voxels}); min ${f(j.min)}, mean ${f(j.mean)}, max ${f(j.max)}, std ${f(j.std)}`,
  ];
  if (m.dice) {
    const d = m.dice;
    lines.push(
      `Dice on the ${d.grid} (${d.after.labels.length} label${d.after.labels.length === 1 ? '' : 's'}): mean ${f(d.before.mean)} before (model identity) -> ${f(d.after.mean)} after; ${f(d.scanner.mean)} in scanner coordinates`,
    );
    const shown = d.after.labels
      .slice(0, maxLabels)
      .map((x, k) => `${x.label}: ${f(d.before.labels[k].dice)} -> ${f(x.dice)}`);
    const more =
      d.after.labels.length > maxLabels ? `, … (${d.after.labels.length - maxLabels} more in the metrics JSON)` : '';
    lines.push(`  per label (before -> after): ${shown.join(', ')}${more}`);
  }
  return lines;
}
