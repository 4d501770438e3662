/**
 * `onnx-train bench` through the compiled CLI (npm test builds first): the JSON line's fields and types (never
 * the timings), the profile summary, bad input; and `countFlops` against hand-computed counts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { countFlops } from '../../sdk/flops';
import { Graph } from '../../sdk/graph';
import { conv, gemm, matmul, mean } from '../../sdk/ops';
import { buildTrainStep } from '../../sdk/train';
import { ROOT } from '../helpers/paths';

const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const SMALL = ['--size', '16', '--chan', '8,8,8,8,16,8,8,8,16', '--threads', '1'];
const TINY = [...SMALL, '--runs', '1'];

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'bench', 'child.js')))
    throw new Error('run `npm run build` first (npm test does)');
});

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, 'bench', ...args], { encoding: 'utf8', cwd, timeout: 180000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FIELDS: Record<string, string> = {
  impl: 'string',
  model: 'string',
  batch: 'number',
  ep: 'string',
  threads: 'number',
  warmup: 'number',
  runs: 'number',
  cpu_arena: 'boolean',
  median_s: 'number',
  min_s: 'number',
  max_s: 'number',
  voxels_per_s: 'number',
  peak_rss_mib: 'number',
  arena: 'string',
  flops: 'number',
  gflops_per_s: 'number',
  nodes: 'number',
  machine: 'object',
  load_avg: 'object',
  fp32_peak_gflops: 'number',
  peak_fraction: 'number',
};

test.each(['gvsl-train', 'gvsl', 'unet', 'unet-train'])(
  '%s: one JSON line with every field, and a summary on stderr',
  (model) => {
    const r = cli(['--model', model, ...TINY]);
    expect(r.stderr).not.toMatch(/Error|at .*\.js/);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]);
    for (const [k, type] of Object.entries(FIELDS)) expect([k, typeof j[k]]).toEqual([k, type]);
    expect(j).toMatchObject({
      model,
      size: [16, 16, 16],
      chan: [8, 8, 8, 8, 16, 8, 8, 8, 16],
      batch: 1,
      ep: 'cpu',
      threads: 1,
      warmup: 1,
      runs: 1,
      cpu_arena: true,
      arena_peak_mib: null,
    });
    for (const k of ['median_s', 'min_s', 'max_s', 'voxels_per_s', 'peak_rss_mib', 'flops', 'gflops_per_s', 'nodes'])
      expect(j[k]).toBeGreaterThan(0);
    expect(j.min_s).toBeLessThanOrEqual(j.median_s);
    expect(j.median_s).toBeLessThanOrEqual(j.max_s);
    expect(j.times_s).toEqual([j.median_s]);
    expect(j.profile).toBeUndefined();
    expect(j.classes).toBeUndefined();
    expect(r.stderr).toMatch(new RegExp(`^${model} 16×16×16 batch 1`));
    expect(r.stderr).toMatch(/GFLOP per run/);
    // Where it ran: the CPU, its vector width and clock, the load, and the fraction of the fp32 peak.
    expect(j.machine).toEqual({
      cpu: expect.any(String),
      logical_cpus: os.cpus().length,
      cpu_mhz: expect.any(Number),
      simd_fp32_lanes: expect.any(Number),
    });
    expect([4, 8, 16]).toContain(j.machine.simd_fp32_lanes);
    expect(j.fp32_peak_gflops).toBeCloseTo(1 * 2 * j.machine.simd_fp32_lanes * 2 * (j.machine.cpu_mhz / 1000), 6);
    expect(j.peak_fraction).toBeCloseTo(j.gflops_per_s / j.fp32_peak_gflops, 9);
    expect(j.load_avg).toHaveLength(2);
    expect(r.stderr).toMatch(/% of the fp32 peak of 1 core/);
    expect(r.stderr).toMatch(/load average [\d.]+ before, [\d.]+ after/);
  },
);

test.each([
  ['seg-train', 2],
  ['seg', 3],
])('%s with %i classes: the JSON line names the classes; the segmentation graph is what runs', (model, classes) => {
  const args = ['--model', String(model), ...TINY, ...(classes === 2 ? [] : ['--classes', String(classes)])];
  const r = cli(args);
  expect(r.stderr).not.toMatch(/Error|at .*\.js/);
  expect(r.code).toBe(0);
  const j = JSON.parse(r.stdout);
  for (const [k, type] of Object.entries(FIELDS)) expect([k, typeof j[k]]).toEqual([k, type]);
  expect(j).toMatchObject({ model, classes, size: [16, 16, 16], batch: 1, runs: 1 });
  expect(r.stderr).toMatch(new RegExp(`^${model} 16×16×16 batch 1, ${classes} classes`));
  // The U-Net forward (1 volume) + out_conv c8 → classes, k3: 2·16³·(c8·classes·27) more than `unet` at batch 1.
  const unet = JSON.parse(cli(['--model', 'unet', ...TINY]).stdout);
  const outConv = 2 * 16 ** 3 * 16 * classes * 27;
  if (model === 'seg') expect(j.flops).toBe(unet.flops + outConv);
  // Training: forward, input gradients (none for the first Conv's input) and weight gradients ≈ 3× forward.
  else expect(j.flops).toBeGreaterThan(2.5 * (unet.flops + outConv));
});

test('--profile prints the top ops, reports the arena, and writes the trace (timed runs only)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const r = cli(['--model', 'unet', ...SMALL, '--runs', '2', '--warmup', '2', '--profile', '--profile-dir', dir]);
  expect(r.code).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j).toMatchObject({ warmup: 2, runs: 2 });
  expect(j.times_s).toHaveLength(2);
  expect(r.stderr).toMatch(/mean of 2 timed run/);
  expect(path.dirname(j.profile.trace)).toBe(path.resolve(dir));
  expect(fs.existsSync(j.profile.trace)).toBe(true);
  expect(Array.isArray(JSON.parse(fs.readFileSync(j.profile.trace, 'utf8')))).toBe(true);
  expect(j.profile.top_ops.map((o: { op: string }) => o.op)).toContain('Conv');
  for (const o of j.profile.top_ops)
    expect(o).toEqual({
      op: expect.any(String),
      ms: expect.any(Number),
      share: expect.any(Number),
      nodes: expect.any(Number),
    });
  expect(j.profile.top_nodes[0]).toEqual({ node: expect.any(String), op: expect.any(String), ms: expect.any(Number) });
  expect(typeof j.arena_peak_mib).toBe('number');
  expect(r.stderr).toMatch(/top ops:\n\s+\w+\s+[\d.]+ ms/);
  expect(r.stderr).toContain(`trace: ${j.profile.trace}`);
});

test('--no-arena and --warmup 0 are reported', () => {
  const r = cli(['--model', 'unet', ...TINY, '--no-arena', '--warmup', '0']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ cpu_arena: false, warmup: 0 });
  expect(r.stderr).toMatch(/no CPU arena/);
});

test('bad input: one line, exit 1', () => {
  for (const args of [
    ['--size', '2'],
    ['--model', 'seg-eval'],
    ['--classes', '1'],
    ['--runs', '0'],
    ['--warmup', '-1'],
    ['--threads', '1.5'],
    ['--chan', '8,8'],
    ['--profile', '--profile-dir', '/nonexistent'],
  ]) {
    const r = cli(args);
    expect([args.join(' '), r.code]).toEqual([args.join(' '), 1]);
    expect(r.stderr).not.toMatch(/at .*\.js/);
    expect(r.stdout).toBe('');
  }
});

describe('countFlops', () => {
  test('a strided, grouped 3-D Conv: 2·N·C_out·prod(out)·(C_in/group)·prod(k)', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 4, 6, 7, 8]);
    const w = g.param('w', 'float32', [6, 2, 3, 3, 3]);
    const y = conv(x, w, g.param('b', 'float32', [6]), { pads: [1, 1, 1, 1, 1, 1], strides: [2, 2, 2], group: 2 });
    expect(y.shape).toEqual([2, 6, 3, 4, 4]);
    g.output('y', y);
    expect(countFlops(g)).toBe(2 * 2 * 6 * (3 * 4 * 4) * 2 * 27);
  });

  test('MatMul with batch axes, Gemm with transA; nodes no output needs are not counted', () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [3, 5, 7]);
    const b = g.input('b', 'float32', [7, 4]);
    g.output('mm', matmul(a, b));
    g.output('gemm', gemm(g.input('c', 'float32', [7, 5]), b, null, { transA: true }));
    matmul(a, b); // dead
    expect(countFlops(g)).toBe(2 * 3 * 5 * 7 * 4 + 2 * 5 * 7 * 4);
  });

  test('a training step also counts the weight gradient (as many multiply-adds as the forward Conv)', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 2, 5, 5, 5]);
    const y = conv(x, g.param('w', 'float32', [3, 2, 3, 3, 3]), null, { pads: [1, 1, 1, 1, 1, 1] });
    const forward = 2 * 3 * 125 * 2 * 27;
    buildTrainStep(g, mean(y), {}, { optimizer: { kind: 'sgd' } });
    expect(countFlops(g)).toBe(2 * forward);
  });
});
