/**
 * Engine soak (slow tier, issue 18): tens of thousands of tiny steps through the training engine that
 * pretrain and finetune use (runtime/engine: run folder and lock, trainLoop with metrics.jsonl, progress,
 * loss.svg and checkpoints, Ctrl-C, resume), with a four-term MLP so that each step costs well under a
 * millisecond of ONNX Runtime. The CLI soak (soak.test.ts) covers the GVSL graphs; this one covers length:
 * the first run of issue 18 died at ~31k steps in plot code that only long runs reach.
 *
 * - A long run (ENGINE_SOAK_STEPS, default 32000, checkpoint every 500): metrics.jsonl has every step once,
 *   loss.svg stays well-formed and bounded, checkpoints load at the right step, and neither memory (RSS, live
 *   heap after GC) nor the time per step grows without bound (the trend is printed; the bounds asserted are
 *   generous, for a loaded 2-core machine).
 * - Resuming that run 500 steps before its end reproduces its last checkpoint and metrics bit for bit (resume
 *   at scale: a 30k-line metrics file truncated).
 * - A short run crashed twice (as a kill between checkpoints: a stale lock and a `.tmp` left behind) and stopped
 *   once by SIGINT, each time resumed, equals the long run's checkpoint at the same step bit for bit.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CHECKPOINT_FILE, loadCheckpoint } from '../../runtime/engine/checkpoint';
import { type MetricsLine, readMetrics } from '../../runtime/engine/progress';
import { LOCK_FILE } from '../../runtime/engine/run-lock';
import { engineRun, LR, TERMS } from '../helpers/engine-run';

const STEPS = Number(process.env.ENGINE_SOAK_STEPS ?? 32000);
const SAVE_EVERY = 500;
// Each checkpoint draws loss.svg and loss.png from the loop's plot summary (no re-reading of metrics.jsonl), a
// cost that must not grow with the run (asserted below).
const LONG_SAVE_EVERY = Number(process.env.ENGINE_SOAK_SAVE_EVERY ?? SAVE_EVERY);
/** Length of the interrupted run (compared with the long run's checkpoint at this step). */
const SHORT = 2000;

// A live-heap measure needs a full GC before reading heapUsed.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** What the long run measures: each step's wall time, and memory every `every` steps. */
interface Trace {
  every: number;
  /** ms from the end of step t-1 to the end of step t (index t); the gap after step t·SAVE_EVERY holds its checkpoint. */
  gap: Float64Array;
  /** Memory after a full GC (so live heap is live): step, RSS, heap used (bytes). */
  memory: [number, number, number][];
}

/** A step hook that fills `tr`. */
function tracer(tr: Trace): (step: number) => void {
  let last = performance.now();
  return (step) => {
    tr.gap[step] = performance.now() - last;
    if (step % tr.every === 0) {
      gc();
      const m = process.memoryUsage();
      tr.memory.push([step, m.rss, m.heapUsed]);
    }
    last = performance.now(); // the GC above is not the next step's time
  };
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-soak-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const noTime = (lines: MetricsLine[]) => lines.map(({ time: _t, ...rest }) => rest);
const bytes = (file: string) => fs.readFileSync(file);
const MiB = 2 ** 20;

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const mx = xs.reduce((s, v) => s + v, 0) / xs.length;
  const my = ys.reduce((s, v) => s + v, 0) / ys.length;
  return xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const long = path.join(base, 'long');

/**
 * The trend of the long run: medians of plain steps (no checkpoint, no GC sample) and of checkpoint steps
 * over the first and last quarter after a warm-up of a fifth, and least-squares slopes of memory (bytes/step).
 */
function trends(tr: Trace) {
  const warm = Math.floor(STEPS / 5);
  const q = Math.floor((STEPS - warm) / 4);
  const isCheckpoint = (t: number) => (t - 1) % LONG_SAVE_EVERY === 0 && t > 1;
  const plain = (from: number, to: number) =>
    median(
      range(from, to)
        .filter((t) => !isCheckpoint(t) && t % tr.every !== 0)
        .map((t) => tr.gap[t]),
    );
  const ckpt = (from: number, to: number) =>
    median(
      range(from, to)
        .filter(isCheckpoint)
        .map((t) => tr.gap[t] - tr.gap[t - 1]),
    );
  const mem = tr.memory.filter(([t]) => t > warm);
  const steps = mem.map(([t]) => t);
  return {
    step: [plain(warm + 1, warm + q), plain(STEPS - q + 1, STEPS)],
    checkpoint: [ckpt(warm + 1, warm + q), ckpt(STEPS - q + 1, STEPS)],
    rss: [mem[0][1], mem.at(-1)![1]],
    heap: [mem[0][2], Math.max(...mem.map((m) => m[2]))],
    rssSlope: slope(
      steps,
      mem.map((m) => m[1]),
    ),
    heapSlope: slope(
      steps,
      mem.map((m) => m[2]),
    ),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test(`${STEPS} steps: metrics, plots and checkpoints stay correct; memory and step time do not grow`, async () => {
  const trace: Trace = { every: 250, gap: new Float64Array(STEPS + 1), memory: [] };
  const t = performance.now();
  const r = await engineRun({
    dir: long,
    steps: STEPS,
    saveEvery: LONG_SAVE_EVERY,
    onStep: tracer(trace),
    keep: new Set([SHORT, STEPS - LONG_SAVE_EVERY]),
  });
  const seconds = (performance.now() - t) / 1000;
  expect(r).toMatchObject({ step: STEPS, interrupted: false });

  // Every step once, in order, with finite terms; the loss fell (the engine trained, it did not just loop).
  const lines = readMetrics(path.join(long, 'metrics.jsonl'));
  expect(lines.map((l) => l.step)).toEqual(range(1, STEPS));
  expect(lines.every((l) => TERMS.every((k) => Number.isFinite(l[k])) && l.lr === LR)).toBe(true);
  const mean = (a: number, b: number) => lines.slice(a, b).reduce((s, l) => s + l.loss, 0) / (b - a);
  expect(mean(STEPS - 500, STEPS)).toBeLessThan(0.5 * mean(0, 500));

  // The plots: well-formed, drawn (paths with finite coordinates), bounded in size whatever the run's length.
  const svg = fs.readFileSync(path.join(long, 'loss.svg'), 'utf8');
  expect(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>')).toBe(true);
  const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]);
  expect(paths.length).toBeGreaterThanOrEqual(1);
  for (const d of paths) expect(d).toMatch(/^M[-\d.]+,[-\d.]+([LMZ][-\d.,]*)*$/);
  expect(svg).not.toMatch(/NaN|Infinity/);
  expect(svg.length).toBeLessThan(4 * MiB);
  const png = path.join(long, 'loss.png'); // once plots are also PNG
  if (fs.existsSync(png))
    expect(
      bytes(png)
        .subarray(0, 8)
        .equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
    ).toBe(true);

  // The last checkpoint, and the run folder left clean.
  const ck = loadCheckpoint(long);
  expect(ck.meta.step).toBe(STEPS);
  for (const [k, v] of ck.state)
    expect({ k, finite: Array.from(v.data as Float32Array).every(Number.isFinite) }).toEqual({ k, finite: true });
  expect(fs.readdirSync(long).filter((f) => f.endsWith('.tmp') || f === LOCK_FILE)).toEqual([]);

  if (process.env.ENGINE_SOAK_TRACE)
    fs.writeFileSync(
      process.env.ENGINE_SOAK_TRACE,
      JSON.stringify({ steps: STEPS, saveEvery: LONG_SAVE_EVERY, gap: [...trace.gap], memory: trace.memory }),
    );
  const tr = trends(trace);
  const ms = ([a, b]: number[]) => `${a.toFixed(3)} → ${b.toFixed(3)} ms`;
  const mib = ([a, b]: number[]) => `${(a / MiB).toFixed(1)} → ${(b / MiB).toFixed(1)} MiB`;
  console.log(
    [
      `engine soak: ${STEPS} steps in ${seconds.toFixed(1)} s (${((1000 * seconds) / STEPS).toFixed(2)} ms/step), checkpoint every ${LONG_SAVE_EVERY}; first → last quarter after a warm-up of a fifth:`,
      `  plain step (median) ${ms(tr.step)}; checkpoint with plots (median extra) ${ms(tr.checkpoint)}`,
      `  RSS ${mib(tr.rss)} (trend ${((tr.rssSlope * 1000) / 1024).toFixed(1)} KiB per 1000 steps)`,
      `  live heap after GC ${mib(tr.heap)} (max; trend ${((tr.heapSlope * 1000) / 1024).toFixed(1)} KiB per 1000 steps)`,
    ].join('\n'),
  );

  // Generous bounds for a loaded 2-core machine: they catch growth per step (a leak of a few hundred bytes per
  // step, a step whose cost grows with the run's length), not noise from other jobs.
  expect(tr.step[1]).toBeLessThan(2 * tr.step[0] + 0.5);
  // A checkpoint draws its plots from the loop's summary: its cost does not grow with metrics.jsonl (it did when
  // each checkpoint re-read the whole log: ×2.5–3 from the first to the last quarter of 32k steps).
  expect(tr.checkpoint[1]).toBeLessThan(2 * tr.checkpoint[0] + 50);
  expect(tr.heapSlope).toBeLessThan(128);
  expect(tr.heap[1] - tr.heap[0]).toBeLessThan(16 * MiB);
  expect(tr.rss[1] - tr.rss[0]).toBeLessThan(64 * MiB);
}, 600000); // ~1 min on a loaded 2-core machine; the limit leaves room for slower plots and heavier load

test(`resuming the long run ${LONG_SAVE_EVERY} steps before its end reproduces its last checkpoint and metrics`, async () => {
  const final = bytes(path.join(long, CHECKPOINT_FILE));
  const finalLines = noTime(readMetrics(path.join(long, 'metrics.jsonl')));
  fs.copyFileSync(path.join(base, `long-${STEPS - LONG_SAVE_EVERY}.safetensors`), path.join(long, CHECKPOINT_FILE));
  const r = await engineRun({ dir: long, steps: STEPS, saveEvery: LONG_SAVE_EVERY });
  expect(r).toMatchObject({ step: STEPS, interrupted: false });
  expect(bytes(path.join(long, CHECKPOINT_FILE)).equals(final)).toBe(true);
  expect(noTime(readMetrics(path.join(long, 'metrics.jsonl')))).toEqual(finalLines);
});

test(`a run crashed twice and stopped by Ctrl-C once, each time resumed, equals the long run at step ${SHORT}`, async () => {
  const dir = path.join(base, 'short');
  const crash = (at: number) => (step: number) => {
    if (step === at) throw new Error(`crash at ${at}`);
  };
  // A crash between checkpoints (the metrics lines after the checkpoint are recomputed on resume) ...
  await expect(engineRun({ dir, steps: SHORT, saveEvery: SAVE_EVERY, onStep: crash(777) })).rejects.toThrow(
    'crash at 777',
  );
  expect(loadCheckpoint(dir).meta.step).toBe(500);
  // ... with what a SIGKILL leaves behind: its lock and a partial checkpoint write.
  const dead = 2 ** 22 + 99;
  fs.writeFileSync(
    path.join(dir, LOCK_FILE),
    JSON.stringify({ pid: dead, host: os.hostname(), started: 'then', command: 'soak' }),
  );
  fs.writeFileSync(path.join(dir, `.${CHECKPOINT_FILE}.${dead}.tmp`), 'partial');
  // Ctrl-C: the step finishes, a checkpoint of that step is written, the run returns interrupted.
  const stopped = await engineRun({
    dir,
    steps: SHORT,
    saveEvery: SAVE_EVERY,
    onStep: (s) => (s === 1234 ? 'sigint' : undefined),
  });
  expect(stopped).toMatchObject({ step: 1234, interrupted: true });
  expect(loadCheckpoint(dir).meta.step).toBe(1234);
  await expect(engineRun({ dir, steps: SHORT, saveEvery: SAVE_EVERY, onStep: crash(1700) })).rejects.toThrow(
    'crash at 1700',
  );
  expect(loadCheckpoint(dir).meta.step).toBe(1500);
  expect(await engineRun({ dir, steps: SHORT, saveEvery: SAVE_EVERY })).toMatchObject({
    step: SHORT,
    interrupted: false,
  });

  expect(bytes(path.join(dir, CHECKPOINT_FILE)).equals(bytes(path.join(base, `long-${SHORT}.safetensors`)))).toBe(true);
  expect(noTime(readMetrics(path.join(dir, 'metrics.jsonl')))).toEqual(
    noTime(readMetrics(path.join(long, 'metrics.jsonl')).slice(0, SHORT)),
  );
  expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp') || f === LOCK_FILE)).toEqual([]);
});
