import type { Canvas, Color, TextStyle } from './canvas';

const f = (v: number) => (Math.round(v * 10) / 10).toString();
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A Canvas that collects SVG elements; `toString()` gives the document. */
export class SvgCanvas implements Canvas {
  private readonly out: string[] = [];
  private clips = 0;
  private clipOpen = false;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.rect(0, 0, width, height, '#ffffff');
  }

  clip(r: { x: number; y: number; w: number; h: number } | null): void {
    if (this.clipOpen) this.out.push('</g>');
    this.clipOpen = false;
    if (!r) return;
    const id = `c${this.clips++}`;
    this.out.push(
      `<clipPath id="${id}"><rect x="${f(r.x)}" y="${f(r.y)}" width="${f(r.w)}" height="${f(r.h)}"/></clipPath><g clip-path="url(#${id})">`,
    );
    this.clipOpen = true;
  }

  rect(x: number, y: number, w: number, h: number, fill: Color, opacity = 1): void {
    this.out.push(
      `<rect x="${f(x)}" y="${f(y)}" width="${f(w)}" height="${f(h)}" fill="${fill}"${opacity < 1 ? ` fill-opacity="${opacity}"` : ''}/>`,
    );
  }

  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, color: Color, width: number, opacity = 1): void {
    let d = '';
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${f(xs[i])},${f(ys[i])}`;
      pen = true;
    }
    if (d)
      this.out.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round" stroke-linecap="round"${opacity < 1 ? ` stroke-opacity="${opacity}"` : ''}/>`,
      );
  }

  band(xs: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, color: Color, opacity: number): void {
    if (xs.length === 0) return;
    let d = '';
    for (let i = 0; i < xs.length; i++) d += `${i ? 'L' : 'M'}${f(xs[i])},${f(hi[i])}`;
    for (let i = xs.length - 1; i >= 0; i--) d += `L${f(xs[i])},${f(lo[i])}`;
    this.out.push(
      `<path d="${d}Z" fill="${color}" fill-opacity="${opacity}" stroke="${color}" stroke-opacity="${opacity}" stroke-width="1"/>`,
    );
  }

  circle(x: number, y: number, r: number, fill: Color, stroke?: Color): void {
    this.out.push(
      `<circle cx="${f(x)}" cy="${f(y)}" r="${r}" fill="${fill}"${stroke ? ` stroke="${stroke}" stroke-width="1"` : ''}/>`,
    );
  }

  text(x: number, y: number, s: string, style: TextStyle = {}): void {
    const anchor = style.anchor && style.anchor !== 'start' ? ` text-anchor="${style.anchor}"` : '';
    this.out.push(
      `<text x="${f(x)}" y="${f(y)}"${anchor}${style.color ? ` fill="${style.color}"` : ''}${style.bold ? ' font-weight="bold"' : ''}>${esc(s)}</text>`,
    );
  }

  toString(): string {
    this.clip(null);
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="11">`,
      ...this.out,
      '</svg>',
      '',
    ].join('\n');
  }
}
