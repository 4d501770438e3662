/**
 * Registration metrics (runtime/serve/metrics.ts) against independent values: numpy/scipy for the label warp
 * through a displacement field on a third grid, Dice, the Jacobian determinant and NCC
 * (fixtures/make_registration_metrics.py); the analytic case (an affine field has det = det(A) everywhere); and
 * the whole composition: the network's transform predicted on the coarse model grid, applied to labels on the
 * full-resolution fixed grid, brings labels shifted by a known amount back where they belong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { apply4, det3, mul4 } from '../../runtime/data/affine';
import { spacingOf, type Dims3, type Volume } from '../../runtime/data/volume';
import type { VectorVolume } from '../../runtime/serve/grid';
import {
  checkLabelMap,
  labelDice,
  globalNcc,
  jacobianDeterminant,
  localNcc,
  registrationMetrics,
  summarizeJacobian,
  warpLabels,
} from '../../runtime/serve/metrics';
import { finishRegistration, prepareVolumes } from '../../runtime/serve/pipeline';

const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'registration-metrics.json'), 'utf8'));

const vol = (dims: Dims3, affine: number[], data: number[]): Volume => ({
  data: Float32Array.from(data),
  dims,
  affine,
  spacing: spacingOf(affine),
});

describe('against numpy/scipy (fixtures/make_registration_metrics.py)', () => {
  const fx = FIXTURE;
  const fixed = vol(fx.fixed.dims, fx.fixed.affine, fx.fixed.labels);
  const moving = vol(fx.moving.dims, fx.moving.affine, fx.moving.labels);
  const field: VectorVolume = { ...vol(fx.field.dims, fx.field.affine, fx.field.u), components: 3 };

  test('labels warped through a field on a third (coarser, oblique) grid: nearest neighbour, voxel for voxel', () => {
    const warped = warpLabels(moving, fixed, field);
    expect(warped.dims).toEqual(fixed.dims);
    expect(warped.affine).toEqual(fixed.affine);
    expect(Array.from(warped.data)).toEqual(fx.warped);
    const d = labelDice(fixed.data, warped.data);
    expect(d.labels.map((x) => x.label)).toEqual(Object.keys(fx.dice).map(Number));
    for (const x of d.labels) expect(x.dice).toBeCloseTo(fx.dice[String(x.label)], 12);
    expect(d.mean).toBeGreaterThan(0.1); // a non-trivial overlap, not all-or-nothing
    expect(d.mean).toBeLessThan(0.9);
  });

  test('Jacobian determinant of a folding field (numpy.gradient)', () => {
    const det = jacobianDeterminant(field);
    const ref: number[] = fx.jacobian;
    expect(det.length).toBe(ref.length);
    ref.forEach((v, i) => expect(Math.abs(det[i] - v)).toBeLessThan(1e-5 * (1 + Math.abs(v))));
    const s = summarizeJacobian(det);
    expect(ref.every((v) => Math.abs(v) > 1e-4)).toBe(true); // no determinant so close to 0 that the count is a coin toss
    expect(s.nonPositive).toBe(fx.nonPositive);
    expect(s.nonPositive).toBeGreaterThan(0);
    expect(s.percentNonPositive).toBeCloseTo((100 * fx.nonPositive) / ref.length, 12);
  });

  test('global NCC (np.corrcoef) and local NCC, 9^3 window (scipy uniform_filter)', () => {
    const { a, b, dims } = fx.images;
    expect(globalNcc(a, b)).toBeCloseTo(fx.ncc, 10);
    expect(localNcc(a, b, dims)).toBeCloseTo(fx.localNcc, 8);
    expect(globalNcc(a, a)).toBeCloseTo(1, 12);
    expect(localNcc(a, a, dims)).toBeGreaterThan(0.99); // 1 up to the 1e-5 in the denominator
  });
});

test('an affine displacement field has det = det(A) everywhere (borders included), on an oblique grid', () => {
  const dims: Dims3 = [7, 8, 9];
  const grid = mul4(
    [0.9, -0.3, 0.1, 4, 0.2, 1.1, 0, -3, 0.1, 0.2, 1.4, 2, 0, 0, 0, 1],
    [2, 0, 0, 0, 0, 2.5, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 1],
  );
  const cases = [
    [1.1, 0.2, -0.1, 3, 0.05, 0.9, 0.2, -1, -0.1, 0.1, 1.2, 2], // det > 0
    [-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], // a reflection: det −1, every voxel folds
  ];
  for (const A of cases) {
    const n = 7 * 8 * 9;
    const u = new Float32Array(3 * n);
    let i = 0;
    for (let d = 0; d < 7; d++)
      for (let h = 0; h < 8; h++)
        for (let w = 0; w < 9; w++, i++) {
          const X = apply4(grid, [w, h, d]);
          const T = apply4([...A, 0, 0, 0, 1], X);
          for (let c = 0; c < 3; c++) u[c * n + i] = T[c] - X[c];
        }
    const want = det3([A[0], A[1], A[2], A[4], A[5], A[6], A[8], A[9], A[10]]);
    const det = jacobianDeterminant({ data: u, components: 3, dims, affine: grid, spacing: spacingOf(grid) });
    for (const v of det) expect(v).toBeCloseTo(want, 4);
    expect(summarizeJacobian(det).percentNonPositive).toBe(want > 0 ? 0 : 100);
  }
});

test('Dice: per label of the fixed map, a label the moving map lacks scores 0, listed labels absent from both are NaN', () => {
  const f = [0, 1, 1, 2, 2, 2, 3, 0];
  const w = [1, 1, 0, 2, 2, 0, 0, 4];
  const d = labelDice(f, w);
  expect(d.labels).toEqual([
    { label: 1, dice: 2 / 4, fixedVoxels: 2, warpedVoxels: 2 },
    { label: 2, dice: 4 / 5, fixedVoxels: 3, warpedVoxels: 2 },
    { label: 3, dice: 0, fixedVoxels: 1, warpedVoxels: 0 },
  ]);
  expect(d.mean).toBeCloseTo((0.5 + 0.8 + 0) / 3, 12);
  const listed = labelDice(f, w, [2, 7]);
  expect(listed.labels[1].dice).toBeNaN();
  expect(listed.mean).toBeCloseTo(0.8, 12);
});

/**
 * A labelled "head" in world mm: boxes with labels 1..3, the fixed labels the same boxes moved by −shift (so the
 * moving labels at X + shift are the fixed labels at X).
 */
function boxes(X: number[]): number {
  const inBox = (lo: number[], hi: number[]) => X.every((v, k) => v >= lo[k] && v <= hi[k]);
  if (inBox([-6, -5, -4], [0, 3, 2])) return 1;
  if (inBox([1, -7, -3], [7, -1, 5])) return 2;
  if (inBox([-4, 1, -6], [3, 6, -1])) return 3;
  return 0;
}

function fill(dims: Dims3, affine: number[], f: (X: number[]) => number): Volume {
  const [D, H, W] = dims;
  const data = new Float32Array(D * H * W);
  let i = 0;
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) data[i++] = f(apply4(affine, [w, h, d]));
  return { data, dims, affine, spacing: spacingOf(affine) };
}

test('a known translation predicted on the coarse model grid moves labels on the full fixed grid by exactly that amount', () => {
  // Fixed: 1 mm, stored LPS; moving: the same field of view stored RAS with another voxel order (reorientation
  // is part of the composition). Both fit a 14^3 model grid at 2 mm, centred on the same point.
  const dims: Dims3 = [20, 24, 28];
  const lps = [-1, 0, 0, 13.5, 0, -1, 0, 11.5, 0, 0, 1, -9.5, 0, 0, 0, 1];
  const ras = [1, 0, 0, -13.5, 0, 1, 0, -11.5, 0, 0, 1, -9.5, 0, 0, 0, 1];
  const t = [1, -1.5, 2]; // model-grid voxels (d, h, w), exact geometry
  const shift = [2 * t[2], 2 * t[1], 2 * t[0]]; // mm (x, y, z): 2 mm model voxels along R, A, S
  const image = (a: number[]) => fill(dims, a, (X) => 1 + boxes(X) + 0.01 * X[0]);
  const fixedImg = image(lps);
  const movingImg = image(ras);
  const movingLabels = fill(dims, ras, boxes);
  const fixedLabels = fill(dims, lps, (X) => boxes([X[0] + shift[0], X[1] + shift[1], X[2] + shift[2]]));
  const prep = prepareVolumes(
    [fixedImg, movingImg],
    { staticDims: null, size: [14, 14, 14], minSpacing: 0, name: 'm' },
    { normalize: 'none' },
  );
  expect(prep.fit.spacing[0]).toBeCloseTo(2, 12);
  const n = 14 ** 3;
  const out = {
    aff_mat_BA: { data: Float32Array.from([1, 0, 0, t[0], 0, 1, 0, t[1], 0, 0, 1, t[2]]), dims: [1, 3, 4] },
    flow_BA: { data: new Float32Array(3 * n), dims: [1, 3, 14, 14, 14] },
    warp_BA: { data: prep.inputs[1].data.slice(), dims: [1, 1, 14, 14, 14] },
  };
  const r = finishRegistration(prep, out, 'exact', { fixed: fixedImg, moving: movingImg });
  const { metrics, warpedLabels } = registrationMetrics(r, fixedImg, { moving: movingLabels, fixed: fixedLabels });
  expect(Array.from(warpedLabels!.data)).toEqual(Array.from(fixedLabels.data)); // every voxel, label 0 included
  const m = metrics.dice!;
  expect(m.after.labels.map((x) => x.dice)).toEqual([1, 1, 1]);
  expect(m.before.mean).toBeLessThan(0.7); // the shift is several voxels: before, the boxes overlap only partly
  expect(m.scanner.mean).toBeCloseTo(m.before.mean, 12); // same field of view: the model identity is the world identity
  expect(metrics.jacobian.percentNonPositive).toBe(0);
  expect(metrics.jacobian.min).toBeCloseTo(1, 5);
  expect(metrics.jacobian.max).toBeCloseTo(1, 5);
  // The network output was the unwarped moving image: its similarity "after" equals "before".
  expect(metrics.similarity.after.ncc).toBeCloseTo(metrics.similarity.before.ncc, 12);
});

test('label maps: one-line errors for another grid and for values that are not labels', () => {
  const image = fill([4, 5, 6], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], () => 1);
  const ok = fill([4, 5, 6], image.affine, (X) => (X[0] > 2 ? 2 : 0));
  expect(() => checkLabelMap(ok, image, '--labels seg.nii', 'moving.nii')).not.toThrow();
  const other = fill([4, 5, 7], image.affine, () => 0);
  expect(() => checkLabelMap(other, image, '--labels seg.nii', 'moving.nii')).toThrow(
    /^--labels seg\.nii: not on the voxel grid of moving\.nii \(7x5x4 voxels vs the image's 6x5x4\); a label map must share its image's grid/,
  );
  const moved = { ...ok, affine: [1, 0, 0, 0.5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] };
  expect(() => checkLabelMap(moved, image, '--labels seg.nii', 'moving.nii')).toThrow(
    /its affine differs from the image/,
  );
  const soft = { ...ok, data: ok.data.map((v, i) => (i === 37 ? 0.5 : v)) };
  expect(() => checkLabelMap(soft, image, '--fixed-labels p.nii', 'fixed.nii')).toThrow(
    /^--fixed-labels p\.nii: value 0\.5 at voxel \(1, 1, 1\) is not a label \(labels are non-negative integers, 0 = background\)/,
  );
  const negative = { ...ok, data: ok.data.map((v, i) => (i === 0 ? -1 : v)) };
  expect(() => checkLabelMap(negative, image, '--labels n.nii', 'moving.nii')).toThrow(
    /value -1 at voxel \(0, 0, 0\) is not a label/,
  );
});
