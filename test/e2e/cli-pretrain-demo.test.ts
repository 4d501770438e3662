/**
 * The default run on the bundled samples ends by registering the second sample to the first with the trained
 * model and printing the similarity against the identity: the same line on every run with the same seed, and
 * the identity's global NCC equal to a plain-TypeScript computation on the same centre crops.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cropAt } from '../../runtime/data';
import type { PretrainConfig } from '../../runtime/pretrain/config';
import { loadVolumes } from '../../runtime/pretrain/volumes';
import { ROOT } from '../helpers/paths';

const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'demo-'));
const LINE =
  /registering itk-t1-head\.nii\.gz to ch2-2mm\.nii\.gz \(centre 16x16x16 crops\): local NCC ([\d.]+) \(identity\) -> ([\d.]+) \(trained\), global NCC ([-\d.]+) -> ([-\d.]+)/;

function run(out: string) {
  const r = spawnSync(
    process.execPath,
    [BIN, 'pretrain', '--size', '16', '--chan', '8,8,8,8,16,8,8,8,16', '--steps', '3', '--quiet', '--out', out],
    { encoding: 'utf8', cwd: ROOT, timeout: 300000 },
  );
  expect(r.status).toBe(0);
  const m = LINE.exec(r.stderr);
  expect(m).not.toBeNull();
  return m!;
}

test('the sample pair is registered at the end: same numbers for the same seed; identity NCC checked independently', () => {
  const a = tmp();
  const first = run(a);
  const second = run(tmp());
  expect(second.slice(1)).toEqual(first.slice(1));

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
});
