/**
 * The training loop's plots come from a MetricsSummary it updates as it appends to metrics.jsonl (a checkpoint
 * does not re-read the log): the bins, the SVG and the PNG equal a rebuild from the file at every point, across
 * grid coarsening, a resume that drops lines, a torn line, non-finite values and terms that appear late.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chartPng, chartSvg, MetricsSummary, summariseMetrics } from '../../runtime/engine/plot';
import { type MetricsLine, MetricsLog } from '../../runtime/engine/progress';
import { engineRun } from '../helpers/engine-run';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'plot-summary-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
let n = 0;
const tmp = () => fs.mkdtempSync(path.join(base, `${n++}-`));

/** Step t's line: noisy falling losses, a NaN now and then, validation every 50 steps, a term from step 300 on. */
function line(t: number, clock: number): MetricsLine {
  const noise = Math.sin(t * 12.9898) * 0.05;
  const l: MetricsLine = { step: t, time: clock, lr: 1e-3, loss: 1 / (1 + t / 200) + noise, loss_b: 0.5 + noise };
  if (t % 37 === 0) l.loss_b = NaN; // written as null
  if (t % 50 === 0) l.val_dice = 0.5 + t / 4000;
  if (t >= 300) l.loss_c = t % 7;
  return l;
}

describe('MetricsSummary', () => {
  test('kept up to date line by line, it equals a rebuild from metrics.jsonl, before and after a resume', () => {
    const dir = tmp();
    const file = path.join(dir, 'metrics.jsonl');
    const opts = { bins: 16 }; // 1000 steps: the grid's width doubles six times
    const check = (s: MetricsSummary) => expect(s.series('run')).toEqual(summariseMetrics(file, 'run', opts));
    let summary = new MetricsSummary(opts);
    let log = new MetricsLog(file, null, (l) => summary.addLine(l));
    for (let t = 1; t <= 700; t++) {
      log.append(line(t, t * 0.1));
      if (t % 97 === 0 || t === 1) check(summary);
    }
    fs.appendFileSync(file, '{"step": 701, "ti'); // a run killed mid-line
    // Resumed from step 600: lines 601–700 and the torn one are dropped; the summary is rebuilt from the rest.
    summary = new MetricsSummary(opts);
    log = new MetricsLog(file, 600, (l) => summary.addLine(l));
    check(summary);
    for (let t = 601; t <= 1000; t++) {
      log.append(line(t, (t - 600) * 0.1)); // a new session's clock
      if (t % 97 === 0) check(summary);
    }
    check(summary);
    const run = summary.series('run');
    // Independently: the bins split steps 1..1000 into consecutive runs of equal width (a power of two), and
    // each holds the count, mean, min and max of its steps' values.
    const bins = run.series.get('loss')!.bins;
    expect(bins.length).toBeGreaterThan(8);
    expect(bins.length).toBeLessThanOrEqual(16);
    const width = bins[0].step1 - bins[0].step0 + 1;
    expect(Math.log2(width) % 1).toBe(0);
    bins.forEach((b, i) => {
      expect(b.step0).toBe(1 + i * width);
      expect(b.step1).toBe(Math.min(1000, (i + 1) * width));
      const vs = Array.from({ length: b.step1 - b.step0 + 1 }, (_, k) => line(b.step0 + k, 0).loss);
      expect(b.n).toBe(vs.length);
      expect(b.mean).toBeCloseTo(vs.reduce((a, v) => a + v, 0) / vs.length, 12);
      expect(b.min).toBe(Math.min(...vs));
      expect(b.max).toBe(Math.max(...vs));
    });
    expect(run.series.get('loss_b')!.count).toBe(1000 - 27); // the 27 NaN are not values
    expect(chartSvg([run])).toBe(chartSvg([summariseMetrics(file, 'run', opts)]));
    expect(chartPng([run]).equals(chartPng([summariseMetrics(file, 'run', opts)]))).toBe(true);
  });

  test('with one step per bin, the EMA is the per-step EMA', () => {
    const s = new MetricsSummary({ span: 3 });
    const values = [4, 1, 7, 2];
    values.forEach((v, i) => s.addLine(JSON.stringify({ step: i + 1, loss: v })));
    let ema = 0;
    let weight = 0;
    const expected = values.map((v) => {
      ema = 0.5 * ema + 0.5 * v;
      weight = 0.5 * weight + 0.5;
      return ema / weight;
    });
    expect(
      s
        .series('x')
        .series.get('loss')!
        .bins.map((b) => b.smooth),
    ).toEqual(expected.map((v) => expect.closeTo(v, 12)));
  });

  test("the loop's loss.svg and loss.png equal a rebuild from metrics.jsonl after a crash and a resume", async () => {
    const dir = tmp();
    const crash = (s: number) => {
      if (s === 7) throw new Error('crash');
    };
    await expect(engineRun({ dir, steps: 12, saveEvery: 4, onStep: crash })).rejects.toThrow('crash');
    await engineRun({ dir, steps: 12, saveEvery: 4 });
    const run = summariseMetrics(path.join(dir, 'metrics.jsonl'), path.basename(dir));
    expect(run.lastStep).toBe(12);
    expect(fs.readFileSync(path.join(dir, 'loss.svg'), 'utf8')).toBe(chartSvg([run]));
    expect(fs.readFileSync(path.join(dir, 'loss.png')).equals(chartPng([run]))).toBe(true);
  });
});
