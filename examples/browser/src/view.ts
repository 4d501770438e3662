import type { DisplayVolume } from './protocol';

export type Plane = 'axial' | 'coronal' | 'sagittal';
export const PLANES: Plane[] = ['axial', 'coronal', 'sagittal'];

/** The 1st and 99th percentiles of the non-zero voxels: a display window robust to outliers. */
export function displayWindow(v: DisplayVolume): [number, number] {
  const step = Math.max(1, Math.floor(v.data.length / 200000));
  const s: number[] = [];
  for (let i = 0; i < v.data.length; i += step) if (v.data[i] !== 0) s.push(v.data[i]);
  if (s.length === 0) return [0, 1];
  s.sort((a, b) => a - b);
  const lo = s[Math.floor(0.01 * (s.length - 1))];
  const hi = s[Math.floor(0.99 * (s.length - 1))];
  return [lo, hi > lo ? hi : lo + 1];
}

/** The slice's size in voxels and in mm (width, height) and the voxel index of pixel (x, y), top row = superior/anterior. */
function layout(v: DisplayVolume, plane: Plane, frac: number) {
  const [D, H, W] = v.dims;
  const [sd, sh, sw] = v.spacing;
  const at = (n: number) => Math.min(n - 1, Math.max(0, Math.round(frac * (n - 1))));
  if (plane === 'axial') {
    const d = at(D);
    return { w: W, h: H, mmW: W * sw, mmH: H * sh, index: (x: number, y: number) => (d * H + (H - 1 - y)) * W + x };
  }
  if (plane === 'coronal') {
    const h = at(H);
    return { w: W, h: D, mmW: W * sw, mmH: D * sd, index: (x: number, y: number) => ((D - 1 - y) * H + h) * W + x };
  }
  const w = at(W);
  return { w: H, h: D, mmW: H * sh, mmH: D * sd, index: (x: number, y: number) => ((D - 1 - y) * H + x) * W + w };
}

/** Red → yellow for t in [0, 1] (the flow overlay). */
function heat(t: number): [number, number, number] {
  return [255, Math.round(255 * Math.min(1, Math.max(0, t))), 0];
}

/**
 * Draws one orthogonal slice (RAS volume: x = patient right → canvas right, superior/anterior up) at fraction
 * `frac` of the axis, with an optional overlay (same grid) from transparent red (0) to opaque yellow (`overlay.max`).
 */
export function drawSlice(
  canvas: HTMLCanvasElement,
  v: DisplayVolume,
  plane: Plane,
  frac: number,
  win: [number, number],
  overlay?: { vol: DisplayVolume; max: number; opacity: number },
  boxPx = 200,
): void {
  const L = layout(v, plane, frac);
  canvas.width = L.w;
  canvas.height = L.h;
  const scale = boxPx / Math.max(L.mmW, L.mmH);
  canvas.style.width = `${Math.round(L.mmW * scale)}px`;
  canvas.style.height = `${Math.round(L.mmH * scale)}px`;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(L.w, L.h);
  const [lo, hi] = win;
  for (let y = 0; y < L.h; y++)
    for (let x = 0; x < L.w; x++) {
      const i = L.index(x, y);
      let g = Math.round((255 * (v.data[i] - lo)) / (hi - lo));
      g = g < 0 ? 0 : g > 255 ? 255 : g;
      let [r, gg, b] = [g, g, g];
      if (overlay && overlay.max > 0) {
        const t = overlay.vol.data[i] / overlay.max;
        if (t > 0.02) {
          const a = overlay.opacity * Math.min(1, t);
          const [cr, cg, cb] = heat(t);
          r = Math.round(r * (1 - a) + cr * a);
          gg = Math.round(gg * (1 - a) + cg * a);
          b = Math.round(b * (1 - a) + cb * a);
        }
      }
      const o = 4 * (y * L.w + x);
      img.data[o] = r;
      img.data[o + 1] = gg;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  ctx.putImageData(img, 0, 0);
}
