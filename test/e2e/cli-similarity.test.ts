/**
 * `onnx-train pretrain --similarity …` through the compiled CLI: the chosen loss is trained and logged under its
 * own metric name, recorded in config.json and the checkpoint, kept by --resume (and a change refused), and bad
 * values are one line at parse time.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makePhantom, writeNifti } from '../../runtime/data';
import { loadCheckpoint } from '../../runtime/engine/checkpoint';
import { ROOT } from '../helpers/paths';

const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const TINY = ['--size', '16', '--chan', '8,8,8,8,16,8,8,8,16', '--quiet'];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'similarity-'));

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'cli', 'index.js')))
    throw new Error('run `npm run build` first (npm test does)');
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 180000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function phantoms(n: number): string {
  const dir = tmp();
  for (let i = 0; i < n; i++) writeNifti(path.join(dir, `p${i}.nii.gz`), makePhantom({ dims: [20, 20, 20], seed: i }));
  return dir;
}

const metrics = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

test('--similarity mi --similarity-bins 16: logged as loss_sim_mi, recorded, kept on resume, a change refused', () => {
  const data = phantoms(2);
  const out = tmp();
  const r = cli([
    'pretrain',
    data,
    ...TINY,
    '--steps',
    '2',
    '--similarity',
    'mi',
    '--similarity-bins',
    '16',
    '--out',
    out,
  ]);
  expect(r.stderr).not.toMatch(/Error|at .*\.js/);
  expect(r.code).toBe(0);
  const m = metrics(out);
  expect(Object.keys(m[0])).toEqual(expect.arrayContaining(['loss', 'loss_sim_mi', 'loss_mse', 'loss_smooth']));
  expect(m[0].loss_ncc).toBeUndefined();
  expect(m[0].loss_sim_mi).toBeGreaterThan(0); // ln(16) − MI
  expect(m[0].loss_sim_mi).toBeLessThan(Math.log(16));
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  expect(cfg.similarity).toEqual({ kind: 'mi', bins: 16 });
  expect((loadCheckpoint(out).meta.config as { similarity: unknown }).similarity).toEqual({ kind: 'mi', bins: 16 });

  const refused = cli(['pretrain', '--resume', out, '--steps', '3', '--similarity', 'ssim']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(
    /--similarity cannot change when resuming \(the loss the run optimises would change\)/,
  );
  const refusedBins = cli(['pretrain', '--resume', out, '--steps', '3', '--similarity-bins', '32']);
  expect(refusedBins.code).toBe(1);
  expect(refusedBins.stderr).toMatch(/--similarity-bins cannot change when resuming/);

  const resumed = cli(['pretrain', '--resume', out, '--steps', '3', '--quiet']);
  expect(resumed.code).toBe(0);
  const m3 = metrics(out);
  expect(m3.map((x) => x.step)).toEqual([1, 2, 3]);
  expect(Number.isFinite(m3[2].loss_sim_mi)).toBe(true);
});

test('the default is the official NCC, recorded as such and logged as loss_ncc', () => {
  const out = tmp();
  const r = cli(['pretrain', phantoms(2), ...TINY, '--steps', '1', '--out', out]);
  expect(r.code).toBe(0);
  expect(Object.keys(metrics(out)[0])).toContain('loss_ncc');
  expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).similarity).toEqual({ kind: 'ncc' });
});

describe('bad similarity flags: one line, before any data is read', () => {
  const expectError = (args: string[], pattern: RegExp) => {
    const r = cli(['pretrain', '/nonexistent-folder', ...args]);
    expect(r.code).toBe(1);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('onnx-train:')).length,
    ).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };
  test('an unknown kind', () =>
    expectError(['--similarity', 'nmi'], /similarity.*Choices: "ncc", "ncc-global", "mi", "ssim", "mse", "mind"/s));
  test('a flag of another kind', () =>
    expectError(['--similarity-bins', '16'], /--similarity-bins applies to --similarity mi, not ncc/));
  test('an even window', () =>
    expectError(
      ['--similarity', 'ssim', '--similarity-window', '4'],
      /--similarity-window must be an odd integer >= 1/,
    ));
  test('a sampling fraction above 1', () =>
    expectError(
      ['--similarity', 'mi', '--similarity-sampling', '2'],
      /--similarity-sampling must be a fraction in \(0, 1\]/,
    ));
});
