/**
 * The training chart: one small panel per loss term on its own linear axis (raw values faint, an EMA bold),
 * validation scores as markers, learning rate and step time; one run or several overlaid (one colour per run).
 */
import { type Canvas, type Color, PALETTE, textWidth } from './canvas';
import type { Bin, RunSeries } from './series';

/** A panel: a title and the terms it shows (of every run). */
export interface Panel {
  title: string;
  terms: string[];
  /** Markers for sparse values (validation); lines otherwise. */
  markers: boolean;
}

/** Panels for the terms the runs hold: losses first, then validation, learning rate and step time. */
export function choosePanels(runs: RunSeries[]): Panel[] {
  const names: string[] = [];
  for (const r of runs) for (const k of r.series.keys()) if (!names.includes(k)) names.push(k);
  const val = names.filter((k) => k.startsWith('val_'));
  const panels: Panel[] = names
    .filter((k) => !k.startsWith('val_') && k !== 'lr' && k !== 'step_time')
    .map((k) => ({ title: k, terms: [k], markers: false }));
  // Several runs: only the headline validation score per run (per-class markers of every run would not read).
  const shownVal = runs.length > 1 ? val.filter((k) => !/_\d+$/.test(k)) : val;
  if (shownVal.length)
    panels.push({
      title: shownVal.length > 1 ? `${shownVal[0]} (per class: ${shownVal[0]}_k)` : shownVal[0],
      terms: shownVal,
      markers: true,
    });
  if (names.includes('lr')) panels.push({ title: 'learning rate', terms: ['lr'], markers: false });
  if (names.includes('step_time')) panels.push({ title: 'seconds per step', terms: ['step_time'], markers: false });
  return panels;
}

/** 1, 2 or 5 × 10^k ticks covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const e = raw / p;
  // d3's rule: the 1-2-5 step closest to the target count.
  const step = (e >= Math.sqrt(50) ? 10 : e >= Math.sqrt(10) ? 5 : e >= Math.sqrt(2) ? 2 : 1) * p;
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(+(k * step).toFixed(digits));
  return out;
}

/** A tick label: fixed decimals matching the tick step, exponents for very small or large values. */
export function tickLabel(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.max(Math.abs(v), Math.abs(step));
  if (a >= 1e5 || Math.abs(step) < 1e-3)
    return v.toExponential(Math.max(0, Math.round(Math.log10(Math.abs(v) / Math.abs(step))))).replace('e+', 'e');
  return v.toFixed(Math.max(0, -Math.floor(Math.log10(Math.abs(step)) + 1e-9)));
}

/** Step counts as 950, 12k, 1.5M. */
export function stepLabel(v: number): string {
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (Math.abs(v) >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return String(Math.round(v));
}

/** Value range of a panel: the smoothed curves and markers in full, the raw bins from their 2nd to 98th percentile (one spike does not flatten the curve). */
function valueRange(bins: Bin[][], markers: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const means: number[] = [];
  for (const bs of bins) {
    for (const b of bs) {
      const v = markers ? b.mean : b.smooth;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      means.push(b.mean);
    }
  }
  if (!markers && means.length) {
    means.sort((a, b) => a - b);
    const q = (p: number) => means[Math.min(means.length - 1, Math.max(0, Math.round(p * (means.length - 1))))];
    lo = Math.min(lo, q(0.02));
    hi = Math.max(hi, q(0.98));
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    const d = Math.abs(hi) * 0.05 || 0.5;
    return [lo - d, hi + d];
  }
  const pad = (hi - lo) * 0.06;
  // Scores in [0, 1] keep 0..1 visible when they come close.
  return [lo - pad, hi + pad];
}

const PANEL_W = 400;
const PANEL_H = 220;
const M = { l: 58, r: 14, t: 26, b: 34 };

/** The size of the figure for `panels` (three columns at most) and a legend row for several runs. */
export function figureSize(panels: number, runs: number): { width: number; height: number; cols: number } {
  const cols = Math.min(3, Math.max(1, panels));
  const rows = Math.max(1, Math.ceil(panels / cols));
  return { width: cols * PANEL_W, height: rows * PANEL_H + (runs > 1 ? 24 : 0) + 8, cols };
}

/** Draws the chart of `runs` onto `c` (sized by figureSize). */
export function drawChart(c: Canvas, runs: RunSeries[], panels = choosePanels(runs)): void {
  const { cols } = figureSize(panels.length, runs.length);
  const top = runs.length > 1 ? 24 : 0;
  if (runs.length > 1) {
    let x = 12;
    runs.forEach((r, i) => {
      c.rect(x, 8, 14, 4, PALETTE[i % PALETTE.length]);
      c.text(x + 18, 15, r.label, { color: '#222222' });
      x += 30 + textWidth(r.label);
    });
  }
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const r of runs) {
    x0 = Math.min(x0, r.firstStep);
    x1 = Math.max(x1, r.lastStep);
  }
  if (!Number.isFinite(x0)) [x0, x1] = [0, 1];
  if (x1 <= x0) [x0, x1] = [x0 - 1, x1 + 1];
  panels.forEach((p, k) => {
    const px = (k % cols) * PANEL_W;
    const py = top + Math.floor(k / cols) * PANEL_H;
    drawPanel(c, p, runs, { x: px + M.l, y: py + M.t, w: PANEL_W - M.l - M.r, h: PANEL_H - M.t - M.b }, x0, x1, k);
  });
}

function drawPanel(
  c: Canvas,
  p: Panel,
  runs: RunSeries[],
  a: { x: number; y: number; w: number; h: number },
  x0: number,
  x1: number,
  index: number,
): void {
  const binsOf = runs.flatMap((r) => p.terms.map((t) => r.series.get(t)?.bins ?? []));
  let [y0, y1] = valueRange(
    binsOf.filter((b) => b.length),
    p.markers,
  );
  if (p.markers && y0 >= -0.05 && y1 <= 1.05)
    [y0, y1] = [Math.min(y0, 0), Math.max(y1, 1)].map((v, i) => (i ? Math.min(1.02, v) : Math.max(-0.02, v))) as [
      number,
      number,
    ];
  const sx = (s: number) => a.x + ((s - x0) / (x1 - x0)) * a.w;
  const sy = (v: number) => a.y + (1 - (v - y0) / (y1 - y0)) * a.h;
  // Frame, grid and ticks.
  c.rect(a.x, a.y, a.w, a.h, '#f7f7f7');
  const yt = niceTicks(y0, y1, 4);
  const ystep = yt.length > 1 ? yt[1] - yt[0] : Math.abs(y1 - y0) || 1;
  for (const v of yt) {
    c.polyline([a.x, a.x + a.w], [sy(v), sy(v)], '#dddddd', 1);
    c.text(a.x - 5, sy(v) + 4, tickLabel(v, ystep), { anchor: 'end', color: '#444444' });
  }
  for (const s of niceTicks(x0, x1, 4)) {
    c.polyline([sx(s), sx(s)], [a.y, a.y + a.h], '#e6e6e6', 1);
    c.text(sx(s), a.y + a.h + 14, stepLabel(s), { anchor: 'middle', color: '#444444' });
  }
  c.text(a.x + a.w, a.y + a.h + 28, 'step', { anchor: 'end', color: '#777777' });
  // Title with the last smoothed value of the first run.
  const first = runs[0]?.series.get(p.terms[0]);
  const lastBin = first?.bins[first.bins.length - 1];
  const now = lastBin
    ? ` ${p.markers ? 'last' : 'now'} ${(p.markers ? lastBin.mean : lastBin.smooth).toPrecision(4)}`
    : '';
  c.text(a.x, a.y - 8, p.title, { bold: true, color: '#222222' });
  if (now && runs.length === 1) c.text(a.x + a.w, a.y - 8, now.trim(), { anchor: 'end', color: '#555555' });
  c.clip({ x: a.x, y: a.y, w: a.w, h: a.h });
  runs.forEach((r, ri) => {
    p.terms.forEach((t, ti) => {
      const s = r.series.get(t);
      if (!s || s.bins.length === 0) return;
      const color: Color =
        runs.length > 1
          ? PALETTE[ri % PALETTE.length]
          : p.markers
            ? ti === 0
              ? '#111111'
              : PALETTE[(ti - 1) % PALETTE.length]
            : PALETTE[index % PALETTE.length];
      const xs = s.bins.map((b) => sx((b.step0 + b.step1) / 2));
      if (p.markers) {
        if (ti === 0)
          c.polyline(
            xs,
            s.bins.map((b) => sy(b.mean)),
            color,
            1,
            0.5,
          );
        s.bins.forEach((b, i) =>
          c.circle(xs[i], sy(b.mean), ti === 0 ? 3.5 : 2.5, color, ti === 0 ? '#ffffff' : undefined),
        );
        return;
      }
      if (s.bins.some((b) => b.n > 1))
        c.band(
          xs,
          s.bins.map((b) => sy(b.min)),
          s.bins.map((b) => sy(b.max)),
          color,
          0.08,
        );
      c.polyline(
        xs,
        s.bins.map((b) => sy(b.mean)),
        color,
        1,
        0.3,
      );
      c.polyline(
        xs,
        s.bins.map((b) => sy(b.smooth)),
        color,
        2.2,
        1,
      );
    });
  });
  c.clip(null);
  if (p.markers && runs.length === 1 && p.terms.length > 1) {
    let lx = a.x + 6;
    p.terms.forEach((t, ti) => {
      const color = ti === 0 ? '#111111' : PALETTE[(ti - 1) % PALETTE.length];
      const name = ti === 0 ? 'mean' : t.replace(/^.*_(\d+)$/, 'class $1');
      if (lx + textWidth(name) + 14 > a.x + a.w) return;
      c.circle(lx + 3, a.y + a.h - 8, 3, color);
      c.text(lx + 9, a.y + a.h - 4, name, { color });
      lx += textWidth(name) + 18;
    });
  }
}
