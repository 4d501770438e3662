/**
 * Training plots: streamed binning (a 10⁶-step log drawn in seconds with bounded memory), smoothed curves,
 * a single validation point visible, SVG and PNG output, several runs overlaid.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { PNG } from 'pngjs';
import { chartPng, chartSvg, niceTicks, plotRuns, stepLabel, summariseMetrics, writeRunPlots } from '../../runtime/engine/plot';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'plot-'));

/** A pre-training-like log: noisy losses that fall slowly, as the sample run's. */
function writeLog(file: string, steps: number, opts: { val?: number[]; seed?: number } = {}): void {
  const fd = fs.openSync(file, 'w');
  let s = opts.seed ?? 1;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let chunk = '';
  for (let i = 1; i <= steps; i++) {
    const trend = 0.87 - 0.04 * (i / steps);
    const line: Record<string, number> = { step: i, time: i * 0.5, lr: 1e-3, loss: trend + 0.2 * (rnd() - 0.5), loss_ncc: 0.9 - 0.02 * (i / steps) + 0.05 * (rnd() - 0.5), loss_mse: 0.01 * Math.exp(-i / steps) + 0.002 * rnd() };
    if (opts.val?.includes(i)) line.val_dice = 0.5 + 0.3 * (i / steps);
    chunk += JSON.stringify(line) + '\n';
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

describe('plot', () => {
  test('bins a 10⁶-step log in bounded memory and time; SVG and PNG drawn', () => {
    const dir = tmp();
    const file = path.join(dir, 'metrics.jsonl');
    writeLog(file, 1_000_000, { val: [500_000, 1_000_000] });
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const run = summariseMetrics(file, 'big');
    const tBins = (performance.now() - t0) / 1000;
    gc();
    const heap1 = process.memoryUsage().heapUsed;
    const svg = chartSvg([run]);
    const png = chartPng([run]);
    const seconds = (performance.now() - t0) / 1000;
    process.stderr.write(`10⁶ steps: binned in ${tBins.toFixed(2)} s, drawn in ${(seconds - tBins).toFixed(2)} s, ${((heap1 - heap0) / 2 ** 20).toFixed(1)} MiB retained\n`);
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
    // Generous for a loaded 2-core machine; about 2 s on a quiet one.
    expect(seconds).toBeLessThan(20);
    expect(svg).toContain('loss_ncc');
    expect(svg.length).toBeLessThan(1_000_000);
    const img = PNG.sync.read(png);
    expect(img.width).toBeGreaterThan(600);
    fs.rmSync(dir, { recursive: true });
  }, 60_000);

  test('one validation point is drawn as a marker; a one-line log still plots', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), JSON.stringify({ step: 5, time: 1, lr: 1e-4, loss: 0.3, val_dice: 0.78, val_dice_1: 0.78 }) + '\n');
    const files = writeRunPlots(dir, 'dice', (k) => k.startsWith('val_'));
    expect(files.map((f) => path.basename(f))).toEqual(['dice.svg', 'dice.png']);
    const svg = fs.readFileSync(files[0], 'utf8');
    expect(svg.match(/<circle /g)!.length).toBeGreaterThanOrEqual(2);
    // The marker is inside the panel, at 0.78 on a 0..1 axis, and the PNG has its dark pixels.
    const png = PNG.sync.read(fs.readFileSync(files[1]));
    let dark = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i] < 60 && png.data[i + 1] < 60 && png.data[i + 2] < 60) dark++;
    expect(dark).toBeGreaterThan(20);
    fs.rmSync(dir, { recursive: true });
  });

  test('several runs overlaid into one file, by extension', () => {
    const dir = tmp();
    for (const [name, seed] of [['a', 1], ['b', 2]] as const) {
      fs.mkdirSync(path.join(dir, name));
      writeLog(path.join(dir, name, 'metrics.jsonl'), 300, { seed, val: [100, 200, 300] });
    }
    plotRuns([path.join(dir, 'a'), path.join(dir, 'b')], path.join(dir, 'cmp.svg'));
    plotRuns([path.join(dir, 'a'), path.join(dir, 'b')], path.join(dir, 'cmp.png'));
    const svg = fs.readFileSync(path.join(dir, 'cmp.svg'), 'utf8');
    expect(svg).toContain('>a<');
    expect(svg).toContain('>b<');
    expect(PNG.sync.read(fs.readFileSync(path.join(dir, 'cmp.png'))).height).toBeGreaterThan(200);
    expect(() => plotRuns([path.join(dir, 'missing')], path.join(dir, 'x.svg'))).toThrow(/no metrics.jsonl/);
    fs.rmSync(dir, { recursive: true });
  });

  test('ticks and step labels', () => {
    expect(niceTicks(0.81, 0.9, 4)).toEqual([0.82, 0.84, 0.86, 0.88, 0.9].map((v) => expect.closeTo(v, 9)));
    expect(stepLabel(1_000_000)).toBe('1M');
    expect(stepLabel(250_000)).toBe('250k');
    expect(stepLabel(950)).toBe('950');
  });
});
