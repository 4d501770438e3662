/**
 * Soak (slow tier, issue 18): a tiny pre-training run with frequent checkpoints, killed (SIGKILL, SIGINT)
 * and resumed several times, ends bit-identical to an uninterrupted run: same checkpoint tensors, same losses.
 * SOAK_STEPS sets the length (default 60: ~3 min on a loaded 2-core machine; each restart costs ~15 s).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makePhantom, writeNifti } from '../../runtime/data';
import { loadCheckpoint } from '../../runtime/engine/checkpoint';
import { LOCK_FILE } from '../../runtime/engine/run-lock';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const STEPS = Number(process.env.SOAK_STEPS ?? 60);
const ARGS = [
  '--size',
  '16',
  '--chan',
  '8,8,8,8,16,8,8,8,16',
  '--quiet',
  '--steps',
  String(STEPS),
  '--save-every',
  '3',
  '--json',
];
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'soak-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

/** Starts a run, kills it with `signal` once it has printed `after` more steps; resolves when it has exited. */
function runUntil(args: string[], after: number, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let seen = 0;
    let sent = false;
    p.stdout.on('data', (d: Buffer) => {
      seen += d
        .toString()
        .split('\n')
        .filter((l) => l.startsWith('{')).length;
      if (!sent && seen >= after) {
        sent = true;
        p.kill(signal);
      }
    });
    p.on('close', (code) => resolve(code));
  });
}

const metrics = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { time: _time, ...rest } = JSON.parse(l) as Record<string, number>;
      return rest;
    });

test(`${STEPS} steps killed and resumed several times equal an uninterrupted run bit for bit`, async () => {
  const data = path.join(base, 'data');
  fs.mkdirSync(data);
  for (let i = 0; i < 3; i++) writeNifti(path.join(data, `p${i}.nii.gz`), makePhantom({ dims: [20, 20, 20], seed: i }));
  const ref = path.join(base, 'ref');
  const once = spawnSync(process.execPath, [BIN, 'pretrain', data, ...ARGS, '--out', ref], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(once.status).toBe(0);

  const run = path.join(base, 'run');
  // First start, then resumes; kills at varied points, both hard (SIGKILL: stale lock, maybe a .tmp) and soft.
  const plan: [number, NodeJS.Signals][] = [
    [Math.floor(STEPS / 6), 'SIGKILL'],
    [Math.floor(STEPS / 5), 'SIGINT'],
    [Math.floor(STEPS / 7), 'SIGKILL'],
    [2, 'SIGKILL'],
  ];
  for (const [k, [after, signal]] of plan.entries()) {
    const args =
      k === 0 ? ['pretrain', data, ...ARGS, '--out', run] : ['pretrain', '--resume', run, '--json', '--quiet'];
    if (fs.existsSync(path.join(run, 'checkpoint.safetensors')) || k === 0) await runUntil(args, after, signal);
  }
  const last = spawnSync(process.execPath, [BIN, 'pretrain', '--resume', run, '--json', '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(last.stderr).not.toMatch(/\n\s+at /);
  expect(last.status).toBe(0);

  const a = loadCheckpoint(ref);
  const b = loadCheckpoint(run);
  expect(b.meta.step).toBe(STEPS);
  expect([...b.state.keys()]).toEqual([...a.state.keys()]);
  for (const [k, t] of a.state)
    expect({
      k,
      same: Buffer.from(t.data.buffer as ArrayBuffer).equals(Buffer.from(b.state.get(k)!.data.buffer as ArrayBuffer)),
    }).toEqual({ k, same: true });
  expect(metrics(run)).toEqual(metrics(ref));
  expect(fs.readdirSync(run).filter((f) => f.endsWith('.tmp') || f === LOCK_FILE)).toEqual([]);
}, 900000);
