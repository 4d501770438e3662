/**
 * (Slow tier: writes and reads a 10⁶-line metrics.jsonl, ~100 MB.)
 * Issue 18, finding 1: plots scale to 10⁶ steps. metrics.jsonl is streamed into bins, so the memory retained is
 * the bins (not the lines) and the time is linear in the steps; SVG and PNG are drawn from the bins.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { PNG } from 'pngjs';
import { chartPng, chartSvg, summariseMetrics } from '../../runtime/engine/plot';
import { writeLog } from '../helpers/metrics-log';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'plot-big-'));

describe('plot', () => {
  test('bins a 10⁶-step log in bounded memory and time; SVG and PNG drawn', () => {
    const dir = tmp();
    const file = path.join(dir, 'metrics.jsonl');
    writeLog(file, 1_000_000, { val: [500_000, 1_000_000] });
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    // CPU time, not wall time: other processes on a loaded machine do not count against it.
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    const t0 = cpu();
    const run = summariseMetrics(file, 'big');
    const tBins = cpu() - t0;
    gc();
    const heap1 = process.memoryUsage().heapUsed;
    const svg = chartSvg([run]);
    const png = chartPng([run]);
    const seconds = cpu() - t0;
    process.stderr.write(
      `10⁶ steps: binned in ${tBins.toFixed(2)} s, drawn in ${(seconds - tBins).toFixed(2)} s of CPU time, ${((heap1 - heap0) / 2 ** 20).toFixed(1)} MiB retained\n`,
    );
    expect(run.lines).toBe(1_000_000);
    expect(run.lastStep).toBe(1_000_000);
    const loss = run.series.get('loss')!;
    expect(loss.count).toBe(1_000_000);
    expect(loss.bins.length).toBeLessThanOrEqual(800);
    expect(loss.bins.reduce((n, b) => n + b.n, 0)).toBe(1_000_000);
    // The smoothed curve follows the trend (0.87 → 0.83), not the noise (±0.1).
    expect(loss.bins[loss.bins.length - 1].smooth).toBeCloseTo(0.83, 2);
    expect(run.series.get('val_dice')!.bins.map((b) => b.mean)).toEqual([0.65, 0.8]);
    expect(run.series.get('step_time')!.bins[0].mean).toBeCloseTo(0.5, 6);
    // Retained memory is the bins (a few hundred kB), not the 10⁶ lines (~100 MB as objects).
    expect(heap1 - heap0).toBeLessThan(8 * 2 ** 20);
    // Generous: about 2 s on a quiet machine; linear in the steps (a quadratic pass would take hours).
    expect(seconds).toBeLessThan(20);
    expect(svg).toContain('loss_ncc');
    expect(svg.length).toBeLessThan(1_000_000);
    const img = PNG.sync.read(png);
    expect(img.width).toBeGreaterThan(600);
    fs.rmSync(dir, { recursive: true });
  }, 300_000);
});
