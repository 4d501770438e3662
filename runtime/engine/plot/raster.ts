/**
 * A small anti-aliased RGBA rasteriser (lines, bands, discs, bitmap text, greyscale images) and its PNG
 * encoding (png.ts): plots and previews as PNG without a browser or a native canvas.
 */
import { type Canvas, type Color, rgb, type TextStyle, textWidth } from './canvas';
import { FONT_ASCENT, FONT_HEIGHT, GLYPHS } from './font-data';
import { encodePng } from './png';

// NOTE: the per-pixel loops name no global (Math, Number): inside a Node `vm` context, as jest runs test files,
// every global lookup goes through Node's contextify interceptor (~0.3 µs each, 10–100× the loop's own work).
const { ceil, floor, hypot, max, min, round } = Math;
const finite = Number.isFinite;

const glyphCache = new Map<string, Uint8Array>();
function glyphBits(ch: string): [number, number, Uint8Array] {
  const g = GLYPHS[ch] ?? GLYPHS['?'];
  let bits = glyphCache.get(ch);
  if (!bits) glyphCache.set(ch, (bits = new Uint8Array(Buffer.from(g[2], 'base64'))));
  return [g[0], g[1], bits];
}

/** An RGBA image (white, opaque) with Canvas drawing; `png()` encodes it. */
export class RasterCanvas implements Canvas {
  readonly data: Uint8Array;
  private box = { x0: 0, y0: 0, x1: 0, y1: 0 };
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 4).fill(255);
    this.clip(null);
  }

  clip(r: { x: number; y: number; w: number; h: number } | null): void {
    this.box = r
      ? {
          x0: max(0, floor(r.x)),
          y0: max(0, floor(r.y)),
          x1: min(this.width, ceil(r.x + r.w)),
          y1: min(this.height, ceil(r.y + r.h)),
        }
      : { x0: 0, y0: 0, x1: this.width, y1: this.height };
  }

  /** Blends colour c with coverage a (0..1) into pixel (x, y), inside the clip box. */
  blend(x: number, y: number, c: [number, number, number], a: number): void {
    if (a <= 0 || x < this.box.x0 || y < this.box.y0 || x >= this.box.x1 || y >= this.box.y1) return;
    if (a > 1) a = 1;
    const o = (y * this.width + x) * 4;
    const d = this.data;
    d[o] += (c[0] - d[o]) * a;
    d[o + 1] += (c[1] - d[o + 1]) * a;
    d[o + 2] += (c[2] - d[o + 2]) * a;
  }

  /** The clip box cut down to the bounding box of the points (grown by `pad`), so masks stay small. */
  private near(
    xs: ArrayLike<number>,
    ys: ArrayLike<number>,
    pad: number,
    anyY = false,
  ): { x0: number; y0: number; x1: number; y1: number } {
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < xs.length; i++) {
      if (finite(xs[i])) [x0, x1] = [min(x0, xs[i]), max(x1, xs[i])];
    }
    for (let i = 0; i < ys.length; i++) {
      if (finite(ys[i]) && (anyY || finite(xs[i]))) [y0, y1] = [min(y0, ys[i]), max(y1, ys[i])];
    }
    if (!finite(x0) || !finite(y0)) return { x0: 0, y0: 0, x1: 0, y1: 0 };
    const b = this.box;
    const r = {
      x0: max(b.x0, floor(x0 - pad)),
      y0: max(b.y0, floor(y0 - pad)),
      x1: min(b.x1, ceil(x1 + pad + 1)),
      y1: min(b.y1, ceil(y1 + pad + 1)),
    };
    return r.x1 > r.x0 && r.y1 > r.y0 ? r : { x0: 0, y0: 0, x1: 0, y1: 0 };
  }

  rect(x: number, y: number, w: number, h: number, fill: Color, opacity = 1): void {
    const c = rgb(fill);
    for (let j = round(y); j < round(y + h); j++)
      for (let i = round(x); i < round(x + w); i++) this.blend(i, j, c, opacity);
  }

  /**
   * Strokes a polyline: coverage of every pixel near a segment is max(0, min(1, width/2 + 0.5 − distance)),
   * gathered in a mask first (max over segments) so joints are not blended twice.
   */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, color: Color, width: number, opacity = 1): void {
    const h = width / 2 + 0.5;
    const mask = new Mask(this.near(xs, ys, h + 1));
    let px = NaN;
    let py = NaN;
    for (let i = 0; i < xs.length; i++) {
      const [x, y] = [xs[i], ys[i]];
      if (!finite(x) || !finite(y)) {
        px = py = NaN;
        continue;
      }
      if (finite(px)) mask.segment(px, py, x, y, h);
      else mask.segment(x, y, x, y, h);
      px = x;
      py = y;
    }
    mask.paint(this, rgb(color), opacity);
  }

  band(xs: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, color: Color, opacity: number): void {
    const mask = new Mask(this.near(xs, [...Array.from(lo), ...Array.from(hi)], 2, true));
    for (let i = 0; i < xs.length; i++) {
      const x0 = xs[i];
      const x1 = i + 1 < xs.length ? xs[i + 1] : xs[i] + 1;
      for (let x = floor(x0); x < max(floor(x0) + 1, floor(x1)); x++) {
        const t = x1 > x0 ? min(1, max(0, (x + 0.5 - x0) / (x1 - x0))) : 0;
        const j = i + 1 < xs.length ? i + 1 : i;
        const a = min(lo[i] + t * (lo[j] - lo[i]), hi[i] + t * (hi[j] - hi[i]));
        const b = max(lo[i] + t * (lo[j] - lo[i]), hi[i] + t * (hi[j] - hi[i]));
        mask.span(x, a - 0.5, b + 0.5);
      }
    }
    mask.paint(this, rgb(color), opacity);
  }

  circle(x: number, y: number, r: number, fill: Color, stroke?: Color): void {
    const c = rgb(fill);
    const s = stroke ? rgb(stroke) : null;
    for (let j = floor(y - r - 1); j <= ceil(y + r + 1); j++) {
      for (let i = floor(x - r - 1); i <= ceil(x + r + 1); i++) {
        const d = hypot(i + 0.5 - x, j + 0.5 - y);
        const inside = min(1, max(0, r + 0.5 - d));
        if (s) {
          this.blend(i, j, s, inside);
          this.blend(i, j, c, min(1, max(0, r - 0.5 - d)));
        } else this.blend(i, j, c, inside);
      }
    }
  }

  text(x: number, y: number, str: string, style: TextStyle = {}): void {
    const c = rgb(style.color ?? '#000000');
    const w = textWidth(str);
    let pen = round(style.anchor === 'middle' ? x - w / 2 : style.anchor === 'end' ? x - w : x);
    const top = round(y) - FONT_ASCENT;
    for (const ch of str) {
      const [adv, gw, bits] = glyphBits(ch);
      for (let j = 0; j < FONT_HEIGHT; j++) {
        for (let i = 0; i < gw; i++) {
          const a = bits[j * gw + i] / 255;
          if (a > 0) {
            this.blend(pen + i - 1, top + j, c, a);
            if (style.bold) this.blend(pen + i, top + j, c, a * 0.6);
          }
        }
      }
      pen += adv + (style.bold ? 1 : 0);
    }
  }

  /**
   * Draws a greyscale image (values 0..1, row-major `w`×`h`) scaled to the rectangle (nearest neighbour), with an
   * optional per-pixel overlay colour (RGBA bytes, alpha in [3]) blended on top.
   */
  image(
    x: number,
    y: number,
    dw: number,
    dh: number,
    grey: Float32Array,
    w: number,
    h: number,
    overlay?: Uint8Array,
  ): void {
    for (let j = 0; j < dh; j++) {
      const sj = min(h - 1, floor(((j + 0.5) * h) / dh));
      for (let i = 0; i < dw; i++) {
        const si = min(w - 1, floor(((i + 0.5) * w) / dw));
        const v = round(255 * min(1, max(0, grey[sj * w + si])));
        this.blend(x + i, y + j, [v, v, v], 1);
        if (overlay) {
          const o = (sj * w + si) * 4;
          if (overlay[o + 3])
            this.blend(x + i, y + j, [overlay[o], overlay[o + 1], overlay[o + 2]], overlay[o + 3] / 255);
        }
      }
    }
  }

  /** The image as PNG bytes. */
  png(): Buffer {
    return encodePng(this.data, this.width, this.height);
  }
}

/** Coverage (0..1) over the clip box; max-combined, then blended once. */
class Mask {
  private readonly a: Float32Array;
  private readonly w: number;
  private x0 = Infinity;
  private x1 = -Infinity;
  private y0 = Infinity;
  private y1 = -Infinity;
  constructor(private readonly box: { x0: number; y0: number; x1: number; y1: number }) {
    this.w = max(0, box.x1 - box.x0);
    this.a = new Float32Array(this.w * max(0, box.y1 - box.y0));
  }

  private put(i: number, j: number, v: number): void {
    if (v <= 0 || i < this.box.x0 || j < this.box.y0 || i >= this.box.x1 || j >= this.box.y1) return;
    const k = (j - this.box.y0) * this.w + (i - this.box.x0);
    if (v > this.a[k]) this.a[k] = v > 1 ? 1 : v;
    if (i < this.x0) this.x0 = i;
    if (i > this.x1) this.x1 = i;
    if (j < this.y0) this.y0 = j;
    if (j > this.y1) this.y1 = j;
  }

  /** Pixels within distance h − 0.5 of the segment, anti-aliased over one pixel. */
  segment(ax: number, ay: number, bx: number, by: number, h: number): void {
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const i0 = max(this.box.x0, floor(min(ax, bx) - h));
    const i1 = min(this.box.x1 - 1, ceil(max(ax, bx) + h));
    const j0 = max(this.box.y0, floor(min(ay, by) - h));
    const j1 = min(this.box.y1 - 1, ceil(max(ay, by) + h));
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        const px = i + 0.5 - ax;
        const py = j + 0.5 - ay;
        const t = len2 > 0 ? min(1, max(0, (px * dx + py * dy) / len2)) : 0;
        const d = hypot(px - t * dx, py - t * dy);
        this.put(i, j, h - d);
      }
    }
  }

  /** Column i covered from y = a to y = b (fractional ends). */
  span(i: number, a: number, b: number): void {
    for (let j = floor(a); j <= ceil(b); j++) {
      const cover = min(j + 1, b) - max(j, a);
      this.put(i, j, cover);
    }
  }

  paint(c: RasterCanvas, color: [number, number, number], opacity: number): void {
    for (let j = this.y0; j <= this.y1; j++) {
      for (let i = this.x0; i <= this.x1; i++) {
        const v = this.a[(j - this.box.y0) * this.w + (i - this.box.x0)];
        if (v > 0) c.blend(i, j, color, v * opacity);
      }
    }
  }
}
