/**
 * (Slow tier: CLI runs that train.)
 * Issue 18 through the compiled CLI: "last good checkpoint" is good (state_check), --resume overrides, the
 * run-folder lock, and one line (exit 1) for errors users cause, checked before the work where possible.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeNifti, makePhantom, writeNifti } from '../../runtime/data';
import { loadCheckpoint, saveCheckpoint } from '../../runtime/engine/checkpoint';
import { LOCK_FILE } from '../../runtime/engine/run-lock';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const TINY = ['--size', '16', '--chan', '8,8,8,8,16,8,8,8,16', '--quiet'];
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-rel-'));
let n = 0;
const tmp = () => fs.mkdtempSync(path.join(base, `${n++}-`));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 180000 });
  return { code: r.status, stderr: r.stderr };
}

/** Exit 1 with exactly one `onnx-train:` line matching `pattern`, and no stack trace. */
function expectOneLine(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.split('\n').filter((l) => l.startsWith('onnx-train:'))).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.code).toBe(1);
}

function phantoms(k: number): string {
  const dir = tmp();
  for (let i = 0; i < k; i++) writeNifti(path.join(dir, `p${i}.nii.gz`), makePhantom({ dims: [20, 20, 20], seed: i }));
  return dir;
}

test('an update that overflows (--lr 1e39) stops before any checkpoint keeps it; the last good one stays finite', () => {
  const out = tmp();
  // Two good steps at a normal lr, checkpointed at step 2 ...
  expect(cli(['pretrain', phantoms(2), ...TINY, '--steps', '2', '--save-every', '1', '--out', out]).code).toBe(0);
  // ... then resumed with an lr whose first update is infinite: the loss of step 3 is still finite.
  const r = cli(['pretrain', '--resume', out, '--steps', '6', '--lr', '1e39']);
  expectOneLine(
    r,
    /step 3: the update made parameters or optimizer state non-finite .*the last good checkpoint \(step 2\) is .*resume it with --resume/,
  );
  const ck = loadCheckpoint(out);
  expect(ck.meta.step).toBe(2);
  for (const [k, t] of ck.state)
    expect({ k, finite: Array.from(t.data as Float32Array).every(Number.isFinite) }).toEqual({ k, finite: true });
}, 120000);

describe('--resume', () => {
  const ckDir = tmp();
  saveCheckpoint(ckDir, new Map(), {
    config: { geometry: 'exact', lr: 1e-3, steps: 5, saveEvery: 5, chan: [8], size: [16, 16, 16] },
    step: 5,
  });

  test('refuses flags that define the run, saying which and why', () => {
    expectOneLine(
      cli(['pretrain', '--resume', ckDir, '--chan', '16,16,16,16,32,16,16,16,32']),
      /--resume .*: --chan cannot change when resuming \(the checkpoint's tensors have the run's widths\)/,
    );
    expectOneLine(
      cli(['pretrain', '--resume', ckDir, '--batch', '2']),
      /--batch cannot change when resuming \(the training graph is built for the run's batch size\)/,
    );
    expectOneLine(
      cli(['pretrain', '--resume', ckDir, '--out', tmp()]),
      /--out cannot change: a resumed run continues in its own folder/,
    );
  });

  test('honours --steps (here: nothing left to do is said as such)', () => {
    expectOneLine(
      cli(['pretrain', '--resume', ckDir, '--steps', '5']),
      /the checkpoint is at step 5 and --steps is 5: nothing to do/,
    );
  });

  test('a checkpoint without its run configuration is one line', () => {
    const dir = tmp();
    saveCheckpoint(dir, new Map(), { config: {}, step: 1 });
    expectOneLine(
      cli(['pretrain', '--resume', dir]),
      /--resume .*: .*checkpoint\.safetensors: the checkpoint has no run configuration \(metadata "config" empty\)/,
    );
  });
});

test('a second run on a locked folder stops with one line; a stale lock is taken over', () => {
  const out = tmp();
  // This test process is alive: its lock holds.
  fs.writeFileSync(
    path.join(out, LOCK_FILE),
    JSON.stringify({ pid: process.pid, host: os.hostname(), started: 'now', command: 'test' }),
  );
  expectOneLine(
    cli(['pretrain', phantoms(2), ...TINY, '--steps', '1', '--out', out]),
    new RegExp(`is in use by another run \\(pid ${process.pid}, since now\\)`),
  );
  fs.writeFileSync(
    path.join(out, LOCK_FILE),
    JSON.stringify({ pid: 2 ** 22 + 17, host: os.hostname(), started: 'then', command: 'test' }),
  );
  fs.writeFileSync(path.join(out, '.checkpoint.safetensors.99999.tmp'), 'partial');
  const r = cli(['pretrain', phantoms(2), ...TINY, '--steps', '1', '--out', out]);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(
    /note: took over the lock of .* from pid 4194321 \(since then\), which is no longer running/,
  );
  expect(fs.readdirSync(out).filter((f) => f.endsWith('.tmp') || f === LOCK_FILE)).toEqual([]);
}, 120000);

describe('one line before the work', () => {
  const img = path.join(base, 'img.nii.gz');
  beforeAll(() => writeNifti(img, makePhantom({ dims: [20, 20, 20], seed: 1 })));

  test('segment --out that is a folder, and --spacing 0', () => {
    const model = path.join(base, 'any.onnx');
    fs.writeFileSync(model, 'x');
    const folder = tmp();
    expectOneLine(
      cli(['segment', img, '--model', model, '--out', path.join(folder, 'x.nii.gz', '..')]),
      /--out .*(is a folder|end the name with \.nii\.gz)/,
    );
    fs.mkdirSync(path.join(folder, 'sub.nii.gz'));
    expectOneLine(
      cli(['segment', img, '--model', model, '--out', path.join(folder, 'sub.nii.gz')]),
      /--out .*sub\.nii\.gz: is a folder/,
    );
    expectOneLine(
      cli(['segment', img, '--model', model, '--out', path.join(folder, 'a.nii.gz'), '--spacing', '0']),
      /--spacing expects D,H,W or one number \(mm\), each a positive number, got '0'/,
    );
  });

  test('register with a singular affine says so instead of crashing', () => {
    const bytes = encodeNifti(makePhantom({ dims: [20, 20, 20], seed: 2 }));
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const o of [280, 296, 312]) v.setFloat32(o, 0, true);
    const bad = path.join(base, 'singular.nii');
    fs.writeFileSync(bad, bytes);
    expectOneLine(
      cli(['register', img, bad, '--model', path.join(base, 'any.onnx'), '--out', tmp()]),
      /singular\.nii: the sform .* is singular/,
    );
  });
});
