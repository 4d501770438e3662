/**
 * The few drawing primitives a chart needs, with two back ends: SVG text (svg.ts) and an RGBA raster written
 * as PNG (raster.ts). Charts are laid out once (chart.ts) and drawn on either.
 */
import { FONT_HEIGHT, GLYPHS } from './font-data';

/** A colour as '#rrggbb'. */
export type Color = string;

export interface TextStyle {
  color?: Color;
  /** Horizontal anchor of x (default start). */
  anchor?: 'start' | 'middle' | 'end';
  bold?: boolean;
}

export interface Canvas {
  readonly width: number;
  readonly height: number;
  /** Restricts drawing to a rectangle (null: the whole canvas). */
  clip(r: { x: number; y: number; w: number; h: number } | null): void;
  rect(x: number, y: number, w: number, h: number, fill: Color, opacity?: number): void;
  /** A polyline through (xs[i], ys[i]); NaN ends a segment. */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, color: Color, width: number, opacity?: number): void;
  /** The area between lo and hi over xs (a min–max band). */
  band(xs: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, color: Color, opacity: number): void;
  circle(x: number, y: number, r: number, fill: Color, stroke?: Color): void;
  /** Text with its baseline at y. */
  text(x: number, y: number, s: string, style?: TextStyle): void;
}

/** Width in pixels of `s` in the bitmap font (also used to lay out SVG text, which has a similar sans font). */
export function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += (GLYPHS[ch] ?? GLYPHS['?'])[0];
  return w;
}

export const LINE_HEIGHT = FONT_HEIGHT;

/** '#rrggbb' → [r, g, b]. */
export function rgb(c: Color): [number, number, number] {
  const n = parseInt(c.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** A qualitative palette (matplotlib's tab10), readable on white. */
export const PALETTE: Color[] = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#17becf',
  '#bcbd22',
];
