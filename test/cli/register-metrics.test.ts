/**
 * `onnx-train register --labels --fixed-labels --metrics` through the compiled CLI, with the real `gvsl` graph:
 * GVSL weights whose heads output a known translation (the affine head's weights zeroed, its translation bias
 * set; the flow head zeroed) make the network a known transform, so labels shifted by that amount must come back
 * exactly (Dice 1 after, well below before, no folding), through the coarse model grid and back to the fixed
 * grid. And one line for each kind of bad label input.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GVSL } from '../../graphs/gvsl';
import { parseWidths } from '../../graphs/unet';
import { saveSafetensors } from '../../runtime/checkpoint/safetensors';
import { apply4 } from '../../runtime/data/affine';
import { readNifti, writeNifti } from '../../runtime/data/nifti';
import { spacingOf, type Dims3, type Volume } from '../../runtime/data/volume';
import { ROOT, runCli as cli, type CliResult } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'register-metrics-'));
const f = (name: string) => path.join(dir, name);

// 1 mm volumes of 32x32x24 voxels fit a 16^3 model grid at 2 mm: a translation of t model voxels is 2t mm.
const DIMS: Dims3 = [24, 32, 32];
const LPS = [-1, 0, 0, 15.5, 0, -1, 0, 15.5, 0, 0, 1, -11.5, 0, 0, 0, 1];
const RAS = [1, 0, 0, -15.5, 0, 1, 0, -15.5, 0, 0, 1, -11.5, 0, 0, 0, 1];
// fc_trans's bias in model voxels along (x, y, z) = (w, h, d): the matrix's translation column is (d, h, w) = T reversed.
const T = [2, -1.5, 1];
const SHIFT = T.map((v) => 2 * v); // world mm (x, y, z): the model grid is RAS at 2 mm

function boxes(X: number[]): number {
  const inBox = (lo: number[], hi: number[]) => X.every((v, k) => v >= lo[k] && v <= hi[k]);
  if (inBox([-7, -6, -5], [0, 3, 2])) return 1;
  if (inBox([1, -8, -4], [8, -1, 6])) return 2;
  if (inBox([-5, 1, -8], [3, 7, -1])) return 3;
  return 0;
}

function fill(affine: number[], fn: (X: number[]) => number): Volume {
  const [D, H, W] = DIMS;
  const data = new Float32Array(D * H * W);
  let i = 0;
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) data[i++] = fn(apply4(affine, [w, h, d]));
  return { data, dims: [...DIMS], affine, spacing: spacingOf(affine) };
}

let fixedLabels: Volume;

beforeAll(() => {
  const model = new GVSL(1, parseWidths('8,8,8,8,16,8,8,8,16'), { geometry: 'exact' });
  const sd = model.initStateDict(1);
  const set = (k: string, v: (i: number) => number) =>
    (sd.get(k)!.data = Float32Array.from({ length: sd.get(k)!.data.length }, (_, i) => v(i)));
  for (const head of ['fc_rot', 'fc_scl', 'fc_trans', 'fc_shear']) {
    set(`${head}.weight`, () => 0);
    set(`${head}.bias`, (i) => (head === 'fc_trans' ? T[i] : 0));
  }
  set('out_flow.weight', () => 0);
  set('out_flow.bias', () => 0);
  saveSafetensors(f('shift.safetensors'), sd, { geometry: 'exact' });
  // The fixed image is the moving one moved by −SHIFT, as its labels are.
  const head = (X: number[]) => 10 + 40 * boxes(X) + 0.5 * X[0];
  writeNifti(
    f('fixed.nii.gz'),
    fill(LPS, (X) => head([X[0] + SHIFT[0], X[1] + SHIFT[1], X[2] + SHIFT[2]])),
  );
  writeNifti(f('moving.nii.gz'), fill(RAS, head));
  writeNifti(f('moving-labels.nii.gz'), fill(RAS, boxes), { datatype: 'uint8' });
  fixedLabels = fill(LPS, (X) => boxes([X[0] + SHIFT[0], X[1] + SHIFT[1], X[2] + SHIFT[2]]));
  writeNifti(f('fixed-labels.nii.gz'), fixedLabels, { datatype: 'uint8' });
  writeNifti(f('soft.nii.gz'), { ...fixedLabels, data: fixedLabels.data.map((v) => v / 2) });
  writeNifti(
    f('small.nii.gz'),
    { ...fixedLabels, dims: [24, 32, 16], data: fixedLabels.data.slice(0, 24 * 32 * 16) },
    { datatype: 'uint8' },
  );
  if (!fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'cli', 'index.js')))
    throw new Error('run `npm run build` first (npm test does)');
});

function oneLine(r: CliResult, re: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(re);
}

test('a known translation: the warped labels land on the fixed labels (Dice 1), metrics printed and written', async () => {
  const out = f('out');
  const r = await cli([
    'register',
    f('fixed.nii.gz'),
    f('moving.nii.gz'),
    '--model',
    f('shift.safetensors'),
    '--size',
    '16',
    '--labels',
    f('moving-labels.nii.gz'),
    '--fixed-labels',
    f('fixed-labels.nii.gz'),
    '--metrics',
    f('m/metrics.json'),
    '--out',
    out,
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/fit: resampled to the model grid 16x16x16 at 2 mm isotropic/);
  expect(r.stdout).toMatch(
    /Dice on the fixed image 32x32x24 \(3 labels\): mean 0\.\d{4} before \(model identity\) -> 1\.0000 after; 0\.\d{4} in scanner coordinates/,
  );
  expect(r.stdout).toMatch(
    /per label \(before -> after\): 1: 0\.\d{4} -> 1\.0000, 2: 0\.\d{4} -> 1\.0000, 3: 0\.\d{4} -> 1\.0000/,
  );
  expect(r.stdout).toMatch(
    /Jacobian determinant on the fixed model grid 16x16x16: 0\.000% of voxels <= 0 \(0 of 4096\); min 1\.0000, mean 1\.0000, max 1\.0000/,
  );
  expect(r.stdout).toMatch(
    /similarity on the fixed model grid 16x16x16: NCC -?\d\.\d{4} -> \d\.\d{4}, local NCC \(9\^3\) \d\.\d{4} -> \d\.\d{4}/,
  );
  const warped = readNifti(path.join(out, 'warped-labels.nii.gz'));
  expect(warped.affine).toEqual(LPS);
  expect(Array.from(warped.data)).toEqual(Array.from(fixedLabels.data));
  expect(fs.readFileSync(path.join(out, 'warped-labels.nii.gz')).length).toBeGreaterThan(0);
  const m = JSON.parse(fs.readFileSync(f('m/metrics.json'), 'utf8'));
  expect(m.dice.after.mean).toBe(1);
  expect(m.dice.before.mean).toBeLessThan(0.6);
  expect(m.dice.before.labels.map((x: { label: number }) => x.label)).toEqual([1, 2, 3]);
  expect(m.jacobian.percentNonPositive).toBe(0);
  // The warped image moves as the labels do: the pair is more alike after than before.
  expect(m.similarity.after.ncc).toBeGreaterThan(m.similarity.before.ncc + 0.1);
});

test('one line for unpaired label flags, a missing file, another grid, values that are not labels', async () => {
  const base = [
    f('fixed.nii.gz'),
    f('moving.nii.gz'),
    '--model',
    f('shift.safetensors'),
    '--size',
    '16',
    '--out',
    f('out-err'),
  ];
  const [alone, missing, grid, soft] = await Promise.all([
    cli(['register', ...base, '--labels', f('moving-labels.nii.gz')]),
    cli(['register', ...base, '--labels', f('nothing.nii.gz'), '--fixed-labels', f('fixed-labels.nii.gz')]),
    cli(['register', ...base, '--labels', f('moving-labels.nii.gz'), '--fixed-labels', f('small.nii.gz')]),
    cli(['register', ...base, '--labels', f('moving-labels.nii.gz'), '--fixed-labels', f('soft.nii.gz')]),
  ]);
  oneLine(
    alone,
    /--labels needs --fixed-labels: Dice compares the warped moving labels with the fixed labels; give both label maps/,
  );
  oneLine(missing, /--labels .*nothing\.nii\.gz: no such file or folder/);
  oneLine(
    grid,
    /--fixed-labels .*small\.nii\.gz: not on the voxel grid of .*fixed\.nii\.gz \(16x32x24 voxels vs the image's 32x32x24\)/,
  );
  oneLine(soft, /--fixed-labels .*soft\.nii\.gz: value \d\.5 at voxel \(\d+, \d+, \d+\) is not a label/);
});
