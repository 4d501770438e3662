/**
 * metrics.jsonl read as a stream (or line by line as the training loop writes it) into a bounded summary for
 * plotting: at most `bins` bins per term, whatever the number of steps (10⁶ steps cost the same memory as 10³). Nothing here spreads an array into Math.min/max.
 */
import * as fs from 'node:fs';

/** One bin of one term: the values of the steps [step0, step1] that fall into it. */
export interface Bin {
  step0: number;
  step1: number;
  n: number;
  mean: number;
  min: number;
  max: number;
  /** The smoothed (EMA) value at the bin's end (MetricsSummary.series). */
  smooth: number;
}

/** A term's plot data. */
export interface Series {
  name: string;
  /** Number of finite values seen. */
  count: number;
  bins: Bin[];
}

/** A run's metrics summarised for plotting. */
export interface RunSeries {
  /** Label in legends (the run folder's name). */
  label: string;
  /** Lines read; first and largest step. */
  lines: number;
  firstStep: number;
  lastStep: number;
  /** Per term, in first-seen order; `step_time` (seconds per step) is derived from `time`. */
  series: Map<string, Series>;
}

export interface SummariseOptions {
  /** At most this many bins per term (default 800; more than half of them once a run has that many steps). */
  bins?: number;
  /** EMA span in logged steps (default: a tenth of the run, between 1 and 2000; a debiased EMA as TensorBoard's). */
  span?: number;
}

const CHUNK = 1 << 20;

/** Calls `onLine` for every non-empty line of a text file, reading 1 MiB at a time (bounded memory). */
export function forEachLine(file: string, onLine: (line: string) => void): void {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let rest = '';
    for (;;) {
      const n = fs.readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      const text = rest + buf.toString('utf8', 0, n);
      let start = 0;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
        const line = text.slice(start, i);
        if (line.trim()) onLine(line);
        start = i + 1;
      }
      rest = text.slice(start);
    }
    if (rest.trim()) onLine(rest);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * metrics.jsonl folded into bins one line at a time, so the training loop keeps it up to date as it appends
 * (a checkpoint's plot costs the same at step 10⁶ as at step 10³) and `onnx-train plot` builds the same from the
 * file. Bins lie on a grid of width w (a power of two) from the first step: w doubles, and neighbouring bins
 * merge, when the steps would need more than `bins` of them. The bins after a sequence of lines depend on the
 * lines only, not on when the summary was read, so the loop's plot equals a rebuild from the file.
 */
export class MetricsSummary {
  /** Lines seen (torn ones included); first and largest step. */
  lines = 0;
  firstStep = NaN;
  lastStep = NaN;
  private readonly nBins: number;
  private width = 1;
  private readonly binners = new Map<string, Binner>();
  private prev: { step: number; time: number } | null = null;

  constructor(private readonly opts: SummariseOptions = {}) {
    this.nBins = opts.bins ?? 800;
  }

  /** One line of metrics.jsonl, as written (a torn line counts but is skipped). */
  addLine(text: string): void {
    this.lines++;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return; // a torn last line (a run killed mid-write) is skipped
    }
    const step = Number(o.step);
    if (!Number.isFinite(step)) return;
    if (!Number.isFinite(this.firstStep)) this.firstStep = step;
    if (!(step <= this.lastStep)) {
      this.lastStep = step;
      let w = this.width;
      while (step - this.firstStep + 1 > this.nBins * w) w *= 2;
      if (w !== this.width) for (const b of this.binners.values()) b.coarsen(w / this.width);
      this.width = w;
    }
    const key = Math.max(0, Math.floor((step - this.firstStep) / this.width));
    for (const k in o) {
      if (k === 'step' || k === 'time') continue;
      const v = o[k];
      if (typeof v === 'number') this.binner(k).add(key, step, v);
    }
    const time = Number(o.time);
    if (Number.isFinite(time)) {
      // A resumed run restarts its clock: a step back in time is not a step time.
      const p = this.prev;
      if (p && step > p.step && time >= p.time)
        this.binner('step_time').add(key, step, (time - p.time) / (step - p.step));
      this.prev = { step, time };
    }
  }

  /**
   * The plot data now, labelled `label`. The EMA (span: a tenth of the lines, 1 to 2000, unless `span` is given)
   * runs over the bins, each bin's mean weighted as its n steps (decay (1 − α)ⁿ): with one step per bin it is the
   * per-step EMA; a copy, so the summary goes on.
   */
  series(label: string): RunSeries {
    const span = this.opts.span ?? Math.min(2000, Math.max(1, this.lines / 10));
    const alpha = 2 / (span + 1);
    const series = new Map<string, Series>();
    for (const [k, b] of this.binners) {
      if (b.count === 0) continue;
      let ema = 0;
      let weight = 0;
      const bins = b.bins.map((bin) => {
        const keep = (1 - alpha) ** bin.n;
        ema = keep * ema + (1 - keep) * bin.mean;
        weight = keep * weight + (1 - keep);
        return { ...bin, smooth: ema / weight };
      });
      series.set(k, { name: k, count: b.count, bins });
    }
    const first = Number.isFinite(this.firstStep) ? this.firstStep : 0;
    const last = Number.isFinite(this.lastStep) ? this.lastStep : first;
    return { label, lines: this.lines, firstStep: first, lastStep: last, series };
  }

  private binner(name: string): Binner {
    let b = this.binners.get(name);
    if (!b) this.binners.set(name, (b = new Binner()));
    return b;
  }
}

/**
 * Reads `file` (metrics.jsonl) once, streaming, into bins. Terms are every numeric key except `step` and `time`;
 * `step_time` (seconds per step, from consecutive `time` values of the same session) is added.
 */
export function summariseMetrics(file: string, label: string, opts: SummariseOptions = {}): RunSeries {
  const s = new MetricsSummary(opts);
  forEachLine(file, (l) => s.addLine(l));
  return s.series(label);
}

/** One term's bins (smoothed when read) and each bin's grid key. */
class Binner {
  readonly bins: Bin[] = [];
  private readonly keys: number[] = [];
  count = 0;

  add(key: number, step: number, v: number): void {
    if (!Number.isFinite(v)) return;
    this.count++;
    const i = this.bins.length - 1;
    // NOTE: steps going back (an interleaved log) join the last bin, so the bin count stays bounded.
    if (i >= 0 && key <= this.keys[i]) {
      const top = this.bins[i];
      top.n++;
      top.mean += (v - top.mean) / top.n;
      if (v < top.min) top.min = v;
      if (v > top.max) top.max = v;
      top.step1 = step;
    } else {
      this.keys.push(key);
      this.bins.push({ step0: step, step1: step, n: 1, mean: v, min: v, max: v, smooth: v });
    }
  }

  /** The grid's width grew `f`-fold: bins whose keys now coincide merge (in order). */
  coarsen(f: number): void {
    let out = -1;
    for (let i = 0; i < this.bins.length; i++) {
      const key = Math.floor(this.keys[i] / f);
      const b = this.bins[i];
      if (out >= 0 && key === this.keys[out]) {
        const a = this.bins[out];
        const n = a.n + b.n;
        a.mean += ((b.mean - a.mean) * b.n) / n;
        a.n = n;
        if (b.min < a.min) a.min = b.min;
        if (b.max > a.max) a.max = b.max;
        a.step1 = b.step1;
      } else {
        out++;
        this.keys[out] = key;
        this.bins[out] = b;
      }
    }
    this.bins.length = this.keys.length = out + 1;
  }
}
