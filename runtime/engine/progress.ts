import * as fs from 'node:fs';
import { atomicTmpPath } from '../../sdk/bytes';
import { forEachLine } from './plot/series';

/** One line of metrics.jsonl. */
export interface MetricsLine {
  step: number;
  time: number;
  lr: number;
  [term: string]: number;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * How a metric is named in the progress bar: loss terms as `<term>_loss` (`loss_dice` → `dice_loss`, so the
 * Dice *loss* is never read as a Dice score), validation scores as they are.
 */
export function progressName(k: string): string {
  return k.startsWith('loss_') ? `${k.slice(5)}_loss` : k;
}

/** A one-line progress bar on stderr: step, loss terms, the last validation score, steps/s and ETA. */
export class Progress {
  private readonly start = performance.now();
  /** Validation scores arrive every N steps: the bar keeps showing the last one. */
  private readonly lastVal = new Map<string, [number, number]>();
  private readonly tty = process.stderr.isTTY;
  private last = 0;
  constructor(
    private readonly first: number,
    private readonly total: number,
    private readonly quiet: boolean,
  ) {}

  update(step: number, metrics: Record<string, number>): void {
    if (this.quiet) return;
    const now = performance.now();
    const done = step - this.first + 1;
    const rate = done / ((now - this.start) / 1000);
    const width = 20;
    const fill = Math.round((width * step) / this.total);
    for (const [k, v] of Object.entries(metrics))
      if (k.startsWith('val_') && !/_\d+$/.test(k)) this.lastVal.set(k, [v, step]);
    const train = Object.entries(metrics)
      .filter(([k]) => !k.startsWith('val_'))
      .map(([k, v]) => `${progressName(k)} ${v.toPrecision(4)}`);
    const val = [...this.lastVal].map(([k, [v, at]]) => `${k} ${v.toFixed(4)}${at === step ? '' : ` (step ${at})`}`);
    const terms = [...train, ...(val.length ? [`| ${val.join(' ')}`] : [])].join(' ');
    const line = `step ${step}/${this.total} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${terms} | ${rate.toFixed(2)} step/s | ETA ${formatDuration((this.total - step) / rate)}`;
    // Without a terminal, print a line every 10 % (logs stay readable).
    if (this.tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (step === this.total || now - this.last > 10000 || step % Math.max(1, Math.round(this.total / 10)) === 0) {
      process.stderr.write(`${line}\n`);
      this.last = now;
    }
  }

  end(): void {
    if (!this.quiet && this.tty) process.stderr.write('\n');
  }
}

/**
 * Appends metrics lines; on resume, drops lines after the checkpoint's step (they will be recomputed). `onLine`
 * sees every line the file holds, as written: the kept ones at resume, then each appended one (the loop's
 * plot summary).
 */
export class MetricsLog {
  constructor(
    private readonly file: string,
    resumeStep: number | null,
    private readonly onLine?: (text: string) => void,
  ) {
    if (resumeStep === null) fs.writeFileSync(file, '');
    else if (fs.existsSync(file)) {
      // Streamed: a 10⁶-line log is never held in memory.
      const tmp = atomicTmpPath(file);
      const fd = fs.openSync(tmp, 'w');
      try {
        forEachLine(file, (l) => {
          let step: number;
          try {
            step = (JSON.parse(l) as MetricsLine).step;
          } catch {
            return; // a torn last line of a killed run
          }
          if (step <= resumeStep) {
            fs.writeSync(fd, l + '\n');
            onLine?.(l);
          }
        });
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    }
  }
  append(line: MetricsLine): void {
    const text = JSON.stringify(line);
    fs.appendFileSync(this.file, text + '\n');
    this.onLine?.(text);
  }
}

/** Every line of a metrics.jsonl (small logs only: plots stream the file, see engine/plot). */
export function readMetrics(file: string): MetricsLine[] {
  const out: MetricsLine[] = [];
  forEachLine(file, (l) => out.push(JSON.parse(l) as MetricsLine));
  return out;
}

export interface PlotOptions {
  /** y axis: 'log' (default, for losses) or 'linear' from 0 to 1 (for scores such as Dice). */
  scale?: 'log' | 'linear';
}

/**
 * A plot (SVG) of the given terms over steps: log-scale y for losses (from 20 steps on, with a trailing mean over
 * a tenth of the steps drawn over the faint per-step values), linear 0–1 for scores. The study's plots; run
 * folders use engine/plot (binned, so it scales to 10⁶ steps).
 */
export function lossPlotSvg(lines: MetricsLine[], terms: string[], opts: PlotOptions = {}): string {
  const W = 720;
  const H = 360;
  const m = { l: 60, r: 150, t: 20, b: 40 };
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f', '#17becf'];
  const pts = lines.filter((l) => terms.every((t) => Number.isFinite(l[t])));
  const steps = pts.map((l) => l.step);
  // NOTE: loops, not Math.min(...values): spreading 10⁵ values overflows the stack.
  let [x0, x1, vlo, vhi] = [0, 1, 1, 1e-6];
  for (const s of steps) [x0, x1] = [Math.min(x0, s), Math.max(x1, s)];
  for (const l of pts) for (const t of terms) if (l[t] > 0) [vlo, vhi] = [Math.min(vlo, l[t]), Math.max(vhi, l[t])];
  const linear = opts.scale === 'linear';
  const lo = Math.log10(vlo);
  const hi = Math.log10(vhi);
  const [y0, y1] = linear ? [0, 1] : [Math.floor(lo), Math.max(Math.ceil(hi), Math.floor(lo) + 1)];
  const sx = (s: number) => m.l + ((s - x0) / Math.max(1, x1 - x0)) * (W - m.l - m.r);
  const sy = linear
    ? (v: number) => m.t + (1 - Math.min(1, Math.max(0, v))) * (H - m.t - m.b)
    : (v: number) => m.t + (1 - (Math.log10(Math.max(v, 10 ** y0)) - y0) / (y1 - y0)) * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  const ticks = linear
    ? [0, 0.2, 0.4, 0.6, 0.8, 1].map((v) => [v, v.toFixed(1)] as const)
    : Array.from({ length: y1 - y0 + 1 }, (_, i) => [10 ** (y0 + i), `1e${y0 + i}`] as const);
  for (const [v, text] of ticks) {
    out.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${sy(v)}" y2="${sy(v)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${sy(v) + 4}" text-anchor="end">${text}</text>`,
    );
  }
  out.push(
    `<text x="${(W - m.r + m.l) / 2}" y="${H - 8}" text-anchor="middle">step</text>`,
    `<text x="${m.l}" y="${H - m.b + 16}" text-anchor="middle">${x0}</text>`,
    `<text x="${W - m.r}" y="${H - m.b + 16}" text-anchor="middle">${x1}</text>`,
  );
  // Per-step losses of random pairs are noisy: with enough steps each term is drawn faint, with its trailing
  // mean over a tenth of the steps on top, so the trend reads at a glance.
  const window = !linear && pts.length >= 20 ? Math.round(pts.length / 10) : 1;
  const path = (ys: number[]) =>
    ys.map((v, k) => `${k ? 'L' : 'M'}${sx(pts[k].step).toFixed(1)},${sy(v).toFixed(1)}`).join('');
  terms.forEach((t, i) => {
    const c = colors[i % colors.length];
    const raw = pts.map((l) => l[t]);
    if (window > 1) {
      const avg = raw.map((_, k) => {
        const part = raw.slice(Math.max(0, k - window + 1), k + 1);
        return part.reduce((a, b) => a + b, 0) / part.length;
      });
      out.push(
        `<path d="${path(raw)}" fill="none" stroke="${c}" stroke-width="1" stroke-opacity="0.3"/>`,
        `<path d="${path(avg)}" fill="none" stroke="${c}" stroke-width="2"/>`,
      );
    } else {
      out.push(`<path d="${path(raw)}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    }
    out.push(`<text x="${W - m.r + 10}" y="${m.t + 16 * (i + 1)}" fill="${c}">${t}</text>`);
  });
  if (window > 1)
    out.push(
      `<text x="${W - m.r + 10}" y="${m.t + 16 * (terms.length + 2)}" fill="#555">bold: mean of ${window} steps</text>`,
    );
  out.push('</svg>');
  return out.join('\n');
}
