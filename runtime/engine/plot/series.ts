/**
 * metrics.jsonl read as a stream into a bounded summary for plotting: at most `bins` bins per term, whatever
 * the number of steps (10⁶ steps cost the same memory as 10³). Nothing here spreads an array into Math.min/max.
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
  /** The smoothed (EMA) value after the bin's last step. */
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
  /** Lines read; first and last step. */
  lines: number;
  firstStep: number;
  lastStep: number;
  /** Per term, in first-seen order; `step_time` (seconds per step) is derived from `time`. */
  series: Map<string, Series>;
}

export interface SummariseOptions {
  /** Bins per term (default 800: about one per pixel column of a panel). */
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

/** Cheap first pass: the number of lines and the first and last step (only those two lines are parsed). */
function scan(file: string): { lines: number; first: number; last: number } {
  let lines = 0;
  let firstLine = '';
  let lastLine = '';
  forEachLine(file, (l) => {
    if (lines === 0) firstLine = l;
    lastLine = l;
    lines++;
  });
  const stepOf = (l: string) => (l ? Number((JSON.parse(l) as { step?: number }).step) : NaN);
  return { lines, first: stepOf(firstLine), last: stepOf(lastLine) };
}

/**
 * Reads `file` (metrics.jsonl) twice, streaming: once to count lines, once to bin every numeric term. Terms are
 * every numeric key except `step` and `time`; `step_time` (seconds per step, from consecutive `time` values of
 * the same session) is added.
 */
export function summariseMetrics(file: string, label: string, opts: SummariseOptions = {}): RunSeries {
  const { lines, first, last } = scan(file);
  const nBins = opts.bins ?? 800;
  const f = Number.isFinite(first) ? first : 0;
  const range = Number.isFinite(last) ? Math.max(1, last - f + 1) : 1;
  const width = Math.max(1, Math.ceil(range / nBins));
  const span = opts.span ?? Math.min(2000, Math.max(1, lines / 10));
  const alpha = 2 / (span + 1);
  const binners = new Map<string, Binner>();
  const binner = (name: string) => {
    let b = binners.get(name);
    if (!b) binners.set(name, (b = new Binner(name, f, width, alpha)));
    return b;
  };
  let prev: { step: number; time: number } | null = null;
  forEachLine(file, (l) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(l) as Record<string, unknown>;
    } catch {
      return; // a torn last line (a run killed mid-write) is skipped
    }
    const step = Number(o.step);
    if (!Number.isFinite(step)) return;
    for (const k in o) {
      if (k === 'step' || k === 'time') continue;
      const v = o[k];
      if (typeof v === 'number') binner(k).add(step, v);
    }
    const time = Number(o.time);
    if (Number.isFinite(time)) {
      // A resumed run restarts its clock: a step back in time is not a step time.
      if (prev && step > prev.step && time >= prev.time)
        binner('step_time').add(step, (time - prev.time) / (step - prev.step));
      prev = { step, time };
    }
  });
  const series = new Map<string, Series>();
  for (const [k, b] of binners) if (b.count > 0) series.set(k, { name: k, count: b.count, bins: b.bins });
  return { label, lines, firstStep: f, lastStep: Number.isFinite(last) ? last : f, series };
}

/** One term's bins; a value joins the last bin while its grid key (step − first) / width is the same. */
class Binner {
  readonly bins: Bin[] = [];
  count = 0;
  private ema = 0;
  private weight = 0;
  private key = NaN;
  constructor(
    readonly name: string,
    private readonly first: number,
    private readonly width: number,
    private readonly alpha: number,
  ) {}

  add(step: number, v: number): void {
    if (!Number.isFinite(v)) return;
    this.count++;
    this.ema = (1 - this.alpha) * this.ema + this.alpha * v;
    this.weight = (1 - this.alpha) * this.weight + this.alpha;
    const smooth = this.ema / this.weight;
    const key = Math.floor((step - this.first) / this.width);
    const top = this.bins[this.bins.length - 1];
    // NOTE: steps going back (an interleaved log) join the last bin, so the bin count stays bounded.
    if (top && key <= this.key) {
      top.n++;
      top.mean += (v - top.mean) / top.n;
      if (v < top.min) top.min = v;
      if (v > top.max) top.max = v;
      top.step1 = step;
      top.smooth = smooth;
    } else {
      this.key = key;
      this.bins.push({ step0: step, step1: step, n: 1, mean: v, min: v, max: v, smooth });
    }
  }
}
