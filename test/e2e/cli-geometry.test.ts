/**
 * The CLI carries GVSL's geometry (graphs/gvsl.ts Geometry) through a run: `pretrain --geometry official` stores it
 * in the config and checkpoint, implies --official-augment, names it in the exported model and keeps it on --resume.
 * Three short training runs through the compiled CLI (npm test builds first); moved here from
 * test/graphs/geometry.test.ts, which keeps the one-line refusal and `export --geometry`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makePhantom, writeNifti } from '../../runtime/data';
import { loadCheckpoint } from '../../runtime/engine/checkpoint';
import { ROOT } from '../helpers/paths';

const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 180000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'geometry-'));

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'cli', 'index.js')))
    throw new Error('run `npm run build` first (npm test does)');
});

test('pretrain --geometry official: stored in the config and checkpoint, implies --official-augment, kept on --resume', () => {
  const data = tmp();
  for (let i = 0; i < 2; i++) writeNifti(path.join(data, `p${i}.nii.gz`), makePhantom({ dims: [20, 20, 20], seed: i }));
  const out = tmp();
  const tiny = ['--size', '16', '--chan', '8,8,8,8,16,8,8,8,16', '--quiet'];
  const r = cli(['pretrain', data, ...tiny, '--geometry', 'official', '--steps', '1', '--out', out]);
  expect(r.stderr).toMatch(/finished at step 1\/1/);
  expect(r.code).toBe(0);
  const cfg = loadCheckpoint<{ geometry: string; officialAugment: boolean }>(out).meta.config;
  expect([cfg.geometry, cfg.officialAugment]).toEqual(['official', true]);
  expect(fs.readFileSync(path.join(out, 'gvsl.onnx')).includes("geometry 'official'")).toBe(true);
  const refused = cli(['pretrain', '--resume', out, '--geometry', 'exact', '--steps', '2']);
  expect(refused.code).toBe(1);
  expect(refused.stderr.trim()).toMatch(
    /^onnx-train: --resume .*: the run was trained with --geometry official; it cannot resume as exact \(leave --geometry out\)$/,
  );
  const resumed = cli(['pretrain', '--resume', out, '--steps', '2', '--quiet']);
  expect(resumed.code).toBe(0);
  expect(loadCheckpoint<{ geometry: string }>(out).meta).toMatchObject({ step: 2, config: { geometry: 'official' } });
  const exact = tmp();
  expect(cli(['pretrain', data, ...tiny, '--steps', '1', '--out', exact]).code).toBe(0);
  expect(loadCheckpoint<{ geometry: string; officialAugment: boolean }>(exact).meta.config).toMatchObject({
    geometry: 'exact',
    officialAugment: false,
  });
});
