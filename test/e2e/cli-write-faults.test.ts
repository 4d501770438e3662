/**
 * (Slow tier: CLI runs that train.) Issue 18 through the compiled CLI: a checkpoint write that fails mid-run
 * (ENOSPC, EACCES) and a fast double Ctrl-C. Each ends with one line and never a stack trace or a native abort
 * (rc 134); the last complete checkpoint stays loadable and no temporary file is left.
 * - ENOSPC is real: the run's checkpoint temporary file (`.checkpoint.safetensors.<pid>.tmp`) is made a link to
 *   /dev/full, whose writes fail with ENOSPC.
 * - EACCES: the run folder is made read-only mid-run. Root passes any permission check, so as root the CLI runs
 *   as the unprivileged user `nobody` (skipped, saying why, where that is not possible).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makePhantom, writeNifti } from '../../runtime/data';
import { CHECKPOINT_FILE, loadCheckpoint } from '../../runtime/engine/checkpoint';
import { LOCK_FILE } from '../../runtime/engine/run-lock';
import { ATOMIC_TMP } from '../../sdk/bytes';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const TINY = [
  '--size',
  '16',
  '--chan',
  '8,8,8,8,16,8,8,8,16',
  '--quiet',
  '--json',
  '--steps',
  '1000',
  '--save-every',
  '1',
];
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-faults-'));
fs.chmodSync(base, 0o755); // readable by `nobody` (the EACCES test as root)
let n = 0;
const tmp = () => {
  const d = path.join(base, String(n++));
  fs.mkdirSync(d, { mode: 0o755 });
  return d;
};
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const data = tmp();
for (let i = 0; i < 2; i++) writeNifti(path.join(data, `p${i}.nii.gz`), makePhantom({ dims: [20, 20, 20], seed: i }));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts `pretrain` into `out`; `onStep(k, pid)` runs when the k-th step's JSON line has been printed. */
function pretrain(out: string, onStep: (k: number, pid: number) => void, uid?: number): Promise<Ended> {
  const p = spawn(process.execPath, [BIN, 'pretrain', data, ...TINY, '--out', out], {
    cwd: ROOT,
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  let stderr = '';
  let seen = 0;
  p.stderr.on('data', (d: Buffer) => (stderr += d));
  p.stdout.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n')) if (l.startsWith('{')) onStep(++seen, p.pid!);
  });
  return new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => ATOMIC_TMP.test(f));

/** Exit 1, one `onnx-train:` line matching `pattern`, no stack trace; returns the match. */
function oneLine(r: Ended, pattern: RegExp): RegExpMatchArray {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('onnx-train:'));
  expect(lines).toHaveLength(1);
  expect(r.code).toBe(1);
  const m = lines[0].match(pattern);
  expect({ line: lines[0], matches: !!m }).toEqual({ line: lines[0], matches: true });
  return m!;
}

const hasDevFull = fs.existsSync('/dev/full') && fs.statSync('/dev/full').isCharacterDevice();
(hasDevFull ? test : test.skip)(
  'ENOSPC on a checkpoint mid-run: one line, the previous checkpoint intact, no .tmp',
  async () => {
    const out = tmp();
    const r = await pretrain(out, (k, pid) => {
      if (k === 3) fs.symlinkSync('/dev/full', path.join(out, `.${CHECKPOINT_FILE}.${pid}.tmp`));
    });
    const m = oneLine(
      r,
      /step (\d+): cannot write the checkpoint in .* \(ENOSPC: no space left on the device\); the checkpoint of step (\d+) is intact\. Free space or fix permissions, then resume with --resume /,
    );
    expect(Number(m[2])).toBeGreaterThanOrEqual(2);
    expect(loadCheckpoint(out).meta.step).toBe(Number(m[2]));
    expect(leftovers(out)).toEqual([]);
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
  },
);

/** The uid that cannot write a read-only folder: ours, or `nobody`'s when we are root (null: not possible here). */
function unprivileged(): number | null {
  if (process.getuid?.() !== 0) return process.getuid?.() ?? null;
  const nobody = 65534;
  // It must be able to run node and read the build and the test data.
  const probe = spawnSync(
    process.execPath,
    ['-e', `require('fs').readFileSync(${JSON.stringify(BIN)}); require('fs').readdirSync(${JSON.stringify(data)})`],
    { uid: nobody, gid: nobody },
  );
  return probe.status === 0 ? nobody : null;
}
const uid = unprivileged();
(uid === null ? test.skip : test)(
  `EACCES on a checkpoint mid-run (run folder made read-only${process.getuid?.() === 0 ? '; run as nobody since we are root' : ''}): one line, the previous checkpoint intact`,
  async () => {
    const out = tmp();
    const asRoot = process.getuid?.() === 0;
    if (asRoot) fs.chownSync(out, uid!, uid!);
    const r = await pretrain(
      out,
      (k) => {
        if (k === 3) fs.chmodSync(out, 0o555);
      },
      asRoot ? uid! : undefined,
    );
    fs.chmodSync(out, 0o755);
    const m = oneLine(
      r,
      /step (\d+): cannot write the checkpoint in .* \(EACCES: permission denied\); the checkpoint of step (\d+) is intact\. Free space or fix permissions, then resume with --resume /,
    );
    expect(loadCheckpoint(out).meta.step).toBe(Number(m[2]));
    // A checkpoint whose temporary file was created just before the folder turned read-only cannot delete it
    // (unlinking needs write permission on the folder): at most that one file is left, and the next run's
    // set-up removes it (removeLeftovers), as it takes over the lock, which cannot be removed either.
    expect(leftovers(out).length).toBeLessThanOrEqual(1);
  },
);

/**
 * Ctrl-C twice: the second press 30 ms after the first lands while the step finishes or its checkpoint is made;
 * 400 ms after, in the run's teardown. Either way: no native abort, the run folder's last checkpoint loads
 * (at least the last one finished before the first press), no lock and no .tmp left.
 */
describe.each([30, 400])('Ctrl-C twice, %i ms apart', (delay) => {
  test('ends by the signal (or 130) with the last checkpoint whole and the lock released', async () => {
    const out = tmp();
    let before = 0;
    const r = await pretrain(out, (k, pid) => {
      if (k !== 3) return;
      before = loadCheckpoint(out).meta.step;
      process.kill(pid, 'SIGINT');
      setTimeout(() => process.kill(pid, 'SIGINT'), delay);
    });
    expect(r.stderr).not.toMatch(/\n\s+at |Aborted|core dumped/);
    expect(r.code === 130 || (r.code === null && r.signal === 'SIGINT')).toBe(true);
    // Killed by the second press: either it aborted the teardown (and said so), or it came after the run had
    // already saved and printed its summary, in the last moments before exit, when nothing was left to lose.
    if (r.signal === 'SIGINT')
      expect(r.stderr).toMatch(
        /aborted \(Ctrl-C\): the last checkpoint written is kept|\nresume with: onnx-train pretrain --resume /,
      );
    expect(loadCheckpoint(out).meta.step).toBeGreaterThanOrEqual(before);
    expect(fs.readdirSync(out).filter((f) => ATOMIC_TMP.test(f) || f === LOCK_FILE)).toEqual([]);
  });
});
