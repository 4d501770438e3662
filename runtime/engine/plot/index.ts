/**
 * Training plots: metrics.jsonl → a chart (SVG and PNG) that reads at a glance, for one run or several.
 * Memory and time are bounded by the number of bins, not the number of steps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../../sdk/bytes';
import { drawChart, choosePanels, figureSize, type Panel } from './chart';
import { RasterCanvas } from './raster';
import { type RunSeries, type Series, summariseMetrics, type SummariseOptions } from './series';
import { SvgCanvas } from './svg';

export { choosePanels, niceTicks, stepLabel, tickLabel } from './chart';
export { RasterCanvas } from './raster';
export { forEachLine, MetricsSummary, summariseMetrics, type RunSeries, type Series, type Bin } from './series';
export { SvgCanvas } from './svg';

/** The chart of `runs` as an SVG document. */
export function chartSvg(runs: RunSeries[], panels?: Panel[]): string {
  const ps = panels ?? choosePanels(runs);
  const { width, height } = figureSize(ps.length, runs.length);
  const c = new SvgCanvas(width, height);
  drawChart(c, runs, ps);
  return c.toString();
}

/** The chart of `runs` as PNG bytes. */
export function chartPng(runs: RunSeries[], panels?: Panel[]): Buffer {
  const ps = panels ?? choosePanels(runs);
  const { width, height } = figureSize(ps.length, runs.length);
  const c = new RasterCanvas(width, height);
  drawChart(c, runs, ps);
  return c.png();
}

/**
 * Writes `<base>.svg` and `<base>.png` in `dir` from its metrics.jsonl (atomically; nothing when the log is
 * missing or empty). `select` keeps some terms only (e.g. validation scores for dice.svg).
 */
export function writeRunPlots(
  dir: string,
  base = 'loss',
  select?: (term: string) => boolean,
  opts: SummariseOptions = {},
): string[] {
  const file = path.join(dir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return [];
  return writePlots(dir, base, summariseMetrics(file, runLabel(dir), opts), select);
}

/** A run folder's label in charts: its name. */
export function runLabel(dir: string): string {
  return path.basename(path.resolve(dir));
}

/**
 * Writes `<base>.svg` and `<base>.png` in `dir` from `run` (atomically; nothing when no term is left), keeping
 * the terms `select` accepts. The training loop draws from its MetricsSummary, `onnx-train plot` from the file.
 */
export function writePlots(dir: string, base: string, run: RunSeries, select?: (term: string) => boolean): string[] {
  const series = new Map<string, Series>([...run.series].filter(([k]) => !select || select(k)));
  if (series.size === 0) return [];
  const svg = path.join(dir, `${base}.svg`);
  const png = path.join(dir, `${base}.png`);
  writeFileAtomic(svg, chartSvg([{ ...run, series }]));
  writeFileAtomic(png, chartPng([{ ...run, series }]));
  return [svg, png];
}

/** The metrics.jsonl of a run folder (or the file itself), or a message naming what is missing. */
export function metricsFileOf(run: string): string {
  const file = fs.existsSync(run) && fs.statSync(run).isDirectory() ? path.join(run, 'metrics.jsonl') : run;
  if (!fs.existsSync(file))
    throw new Error(`${run}: no metrics.jsonl (give a run folder of pretrain or finetune, or a metrics.jsonl file)`);
  return file;
}

/** Several runs, overlaid (one colour per run) into one chart written as .svg or .png (by `out`'s extension). */
export function plotRuns(runs: string[], out: string, opts: SummariseOptions = {}): void {
  const series = runs.map((r) => {
    const file = metricsFileOf(r);
    const label =
      path.basename(file) === 'metrics.jsonl' ? path.basename(path.dirname(path.resolve(file))) : path.basename(file);
    return summariseMetrics(file, label, opts);
  });
  const bytes = /\.png$/i.test(out) ? chartPng(series) : chartSvg(series);
  writeFileAtomic(out, bytes);
}
