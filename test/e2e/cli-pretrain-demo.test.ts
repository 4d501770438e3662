/**
 * The default run on the bundled samples ends by registering the second sample to the first with the trained
 * model and printing the similarity against the identity: the same line on every run with the same seed, and
 * the identity's global NCC equal to a plain-TypeScript computation on the same centre crops. A second line gives
 * the Dice of the samples' brain masks as `onnx-train register --labels` scores them: the same for the same seed,
 * equal to the register command's metrics, and its "after" value equal to a plain Dice of the warped labels that
 * `register` writes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cropAt } from '../../runtime/data';
import type { PretrainConfig } from '../../runtime/pretrain/config';
import { loadVolumes } from '../../runtime/pretrain/volumes';
import { readNifti } from '../../runtime/data';
import { samplesDir } from '../../runtime/data/samples';
import { ROOT } from '../helpers/paths';

const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'demo-'));
const LINE =
  /registering itk-t1-head\.nii\.gz to ch2-2mm\.nii\.gz \(centre 16x16x16 crops\): local NCC ([\d.]+) \(identity\) -> ([\d.]+) \(trained\), global NCC ([-\d.]+) -> ([-\d.]+)/;

const MASKS =
  /brain masks of itk-t1-head\.nii\.gz warped onto ch2-2mm\.nii\.gz \(onnx-train register --labels: model grid 16x16x16 at ([\d.]+) mm, Dice on the fixed image's grid\): Dice ([\d.]+) \(identity\) -> ([\d.]+) \(trained\)/;

function run(out: string) {
  const r = spawnSync(
    process.execPath,
    [BIN, 'pretrain', '--size', '16', '--chan', '8,8,8,8,16,8,8,8,16', '--steps', '3', '--quiet', '--out', out],
    { encoding: 'utf8', cwd: ROOT, timeout: 300000 },
  );
  expect(r.status).toBe(0);
  const m = LINE.exec(r.stderr);
  const masks = MASKS.exec(r.stderr);
  expect(m).not.toBeNull();
  expect(masks).not.toBeNull();
  return { m: m!, masks: masks! };
}

test('the sample pair is registered at the end: same numbers for the same seed; identity NCC and brain-mask Dice checked independently', () => {
  const a = tmp();
  const { m: first, masks } = run(a);
  const again = run(tmp());
  expect(again.m.slice(1)).toEqual(first.slice(1));
  expect(again.masks.slice(1)).toEqual(masks.slice(1));

  const cfg = JSON.parse(fs.readFileSync(path.join(a, 'config.json'), 'utf8')) as PretrainConfig;
  const [fixed, moving] = loadVolumes(cfg, () => {});
  const crop = (v: typeof fixed) =>
    cropAt(
      v,
      v.dims.map((d, k) => Math.floor((d - cfg.size[k]) / 2)),
      cfg.size,
    ).data;
  const x = crop(moving);
  const y = crop(fixed);
  const mean = (v: Float32Array) => v.reduce((s, t) => s + t, 0) / v.length;
  const [mx, my] = [mean(x), mean(y)];
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  expect(Math.abs(Number(first[3]) - sxy / Math.sqrt(sxx * syy))).toBeLessThan(2e-4); // printed to 4 decimals
  // The mask line is what `onnx-train register --labels --fixed-labels` reports for the run; recount its "after".
  const samples = samplesDir();
  const img = (f: string) => path.join(samples, f);
  const lab = (f: string) => path.join(samples, 'labels', f);
  const reg = path.join(a, 'register');
  const metricsFile = path.join(reg, 'metrics.json');
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'register',
      img('ch2-2mm.nii.gz'),
      img('itk-t1-head.nii.gz'),
      '--model',
      a,
      '--labels',
      lab('itk-t1-head.nii.gz'),
      '--fixed-labels',
      lab('ch2-2mm.nii.gz'),
      '--metrics',
      metricsFile,
      '--no-warp-original',
      '--out',
      reg,
    ],
    { encoding: 'utf8', cwd: ROOT, timeout: 120000 },
  );
  expect(r.status).toBe(0);
  const json = JSON.parse(fs.readFileSync(metricsFile, 'utf8'));
  expect(json.dice.before.mean.toFixed(4)).toBe(masks[2]);
  expect(json.dice.after.mean.toFixed(4)).toBe(masks[3]);
  const warped = readNifti(path.join(reg, 'warped-labels.nii.gz')).data;
  const truth = readNifti(lab('ch2-2mm.nii.gz')).data;
  let both = 0;
  let sum = 0;
  for (let i = 0; i < truth.length; i++) {
    both += truth[i] === 1 && warped[i] === 1 ? 1 : 0;
    sum += (truth[i] === 1 ? 1 : 0) + (warped[i] === 1 ? 1 : 0);
  }
  expect(Math.abs((2 * both) / sum - Number(masks[3]))).toBeLessThan(6e-5); // printed to 4 decimals
});
