/**
 * Previews: a mosaic of three orthogonal mid-slices (axial, coronal, sagittal) of a volume, with a label
 * overlay (`segment --preview`) or rows of fixed / warped / checkerboard (`register --preview`), as PNG.
 * Volumes are shown in RAS (exact reorientation), radiological convention (patient right on the left), at
 * their physical aspect ratio.
 */
import { reorient } from '../../data/orient';
import type { Volume } from '../../data/volume';
import { rgb, PALETTE } from './canvas';
import { RasterCanvas } from './raster';

/** A 2-D slice: values row-major `w`×`h`, with its pixel size in mm. */
interface Slice {
  w: number;
  h: number;
  data: Float32Array;
  /** mm per pixel along w and h. */
  sw: number;
  sh: number;
}

type Plane = 'axial' | 'coronal' | 'sagittal';
const PLANES: Plane[] = ['axial', 'coronal', 'sagittal'];

/**
 * The slice of a RAS volume (dims [S, A, R]) through voxel `at` = [d, h, w], oriented for display: axial with
 * anterior up, coronal and sagittal with superior up; radiological (patient right on the left).
 */
function slice(v: Volume, plane: Plane, at: [number, number, number]): Slice {
  const [D, H, W] = v.dims;
  const [sd, sh, sw] = v.spacing;
  const get = (d: number, h: number, w: number) => v.data[(d * H + h) * W + w];
  if (plane === 'axial') {
    const out = new Float32Array(W * H);
    // rows: A (top) → P; columns: R (left) → L.
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) out[r * W + c] = get(at[0], H - 1 - r, W - 1 - c);
    return { w: W, h: H, data: out, sw, sh };
  }
  if (plane === 'coronal') {
    const out = new Float32Array(W * D);
    for (let r = 0; r < D; r++) for (let c = 0; c < W; c++) out[r * W + c] = get(D - 1 - r, at[1], W - 1 - c);
    return { w: W, h: D, data: out, sw, sh: sd };
  }
  // Sagittal: columns A (left) → P, rows S → I.
  const out = new Float32Array(H * D);
  for (let r = 0; r < D; r++) for (let c = 0; c < H; c++) out[r * H + c] = get(D - 1 - r, H - 1 - c, at[2]);
  return { w: H, h: D, data: out, sw: sh, sh: sd };
}

/** The 1st and 99th percentiles of (a sample of) the voxels: the display window. */
export function displayWindow(data: Float32Array): [number, number] {
  const step = Math.max(1, Math.floor(data.length / 200_000));
  const s: number[] = [];
  for (let i = 0; i < data.length; i += step) if (Number.isFinite(data[i])) s.push(data[i]);
  if (s.length === 0) return [0, 1];
  s.sort((a, b) => a - b);
  const lo = s[Math.floor(0.01 * (s.length - 1))];
  const hi = s[Math.ceil(0.99 * (s.length - 1))];
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

const windowed = (x: Float32Array, [lo, hi]: [number, number]) => x.map((v) => (v - lo) / (hi - lo));

/** Voxel [d, h, w] at the middle of the volume, or at the centre of mass of the labels > 0 when given. */
function centre(v: Volume, labels?: Volume): [number, number, number] {
  const [D, H, W] = v.dims;
  if (labels) {
    let n = 0;
    const m = [0, 0, 0];
    for (let d = 0, i = 0; d < D; d++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++, i++) {
          if (labels.data[i] > 0) {
            n++;
            m[0] += d;
            m[1] += h;
            m[2] += w;
          }
        }
    if (n > 0) return m.map((x) => Math.round(x / n)) as [number, number, number];
  }
  return [Math.floor(D / 2), Math.floor(H / 2), Math.floor(W / 2)];
}

const CELL = 220;
const GAP = 6;
const TITLE = 18;

/** Pixel size of a slice drawn into a CELL×CELL box at its physical aspect ratio. */
function fit(s: Slice): [number, number] {
  const [wmm, hmm] = [s.w * s.sw, s.h * s.sh];
  const k = CELL / Math.max(wmm, hmm);
  return [Math.max(1, Math.round(wmm * k)), Math.max(1, Math.round(hmm * k))];
}

/** Colours (RGBA, alpha `alpha`) of a label slice; 0 is transparent. */
function labelOverlay(s: Slice, alpha: number): Uint8Array {
  const out = new Uint8Array(s.w * s.h * 4);
  for (let i = 0; i < s.data.length; i++) {
    const l = Math.round(s.data[i]);
    if (l <= 0) continue;
    const [r, g, b] = rgb(PALETTE[(l - 1) % PALETTE.length]);
    out.set([r, g, b, Math.round(255 * alpha)], i * 4);
  }
  return out;
}

/**
 * A PNG of three mid-slices of `image`, with `labels` (same grid, values 0..K) overlaid at alpha 0.45 beside
 * the plain image (top row: image, bottom row: image + labels).
 */
export function segmentationPreviewPng(image: Volume, labels?: Volume, title = ''): Buffer {
  const img = reorient(image);
  const lab = labels ? reorient({ ...labels, affine: image.affine }) : undefined;
  const at = centre(img, lab);
  const win = displayWindow(img.data);
  const rows = lab ? 2 : 1;
  const c = new RasterCanvas(3 * CELL + 4 * GAP, rows * (CELL + TITLE) + TITLE + GAP * (rows + 1));
  c.rect(0, 0, c.width, c.height, '#101010');
  if (title) c.text(GAP, 14, title, { color: '#eeeeee' });
  PLANES.forEach((p, k) => {
    const s = slice(img, p, at);
    const ls = lab ? slice(lab, p, at) : undefined;
    const [dw, dh] = fit(s);
    const x = GAP + k * (CELL + GAP) + Math.floor((CELL - dw) / 2);
    for (let r = 0; r < rows; r++) {
      const y0 = TITLE + GAP + r * (CELL + TITLE + GAP);
      c.text(GAP + k * (CELL + GAP), y0 + 12, `${p}${r === 1 ? ' + labels' : ''}`, { color: '#cccccc' });
      c.image(
        x,
        y0 + TITLE + Math.floor((CELL - dh) / 2),
        dw,
        dh,
        windowed(s.data, win),
        s.w,
        s.h,
        r === 1 && ls ? labelOverlay(ls, 0.45) : undefined,
      );
    }
  });
  return c.png();
}

/**
 * A PNG for a registration: rows of the fixed image, the warped moving image, and a checkerboard of the two
 * (cells of `cellMm` mm), each through the same three mid-slices of the fixed grid. `warped` must lie on the
 * fixed image's grid.
 */
export function registrationPreviewPng(fixed: Volume, warped: Volume, title = '', cellMm = 16): Buffer {
  const f = reorient(fixed);
  const m = reorient({ ...warped, affine: fixed.affine });
  const at = centre(f);
  const [wf, wm] = [displayWindow(f.data), displayWindow(m.data)];
  const names = ['fixed', 'warped moving', 'checkerboard fixed / warped'];
  const c = new RasterCanvas(3 * CELL + 4 * GAP, 3 * (CELL + TITLE + GAP) + TITLE + GAP);
  c.rect(0, 0, c.width, c.height, '#101010');
  if (title) c.text(GAP, 14, title, { color: '#eeeeee' });
  PLANES.forEach((p, k) => {
    const sf = slice(f, p, at);
    const sm = slice(m, p, at);
    const a = windowed(sf.data, wf);
    const b = windowed(sm.data, wm);
    const check = new Float32Array(a.length);
    for (let r = 0; r < sf.h; r++) {
      for (let q = 0; q < sf.w; q++) {
        const cell = Math.floor((q * sf.sw) / cellMm) + Math.floor((r * sf.sh) / cellMm);
        check[r * sf.w + q] = cell % 2 ? b[r * sf.w + q] : a[r * sf.w + q];
      }
    }
    const [dw, dh] = fit(sf);
    const x = GAP + k * (CELL + GAP) + Math.floor((CELL - dw) / 2);
    [a, b, check].forEach((data, r) => {
      const y0 = TITLE + GAP + r * (CELL + TITLE + GAP);
      c.text(GAP + k * (CELL + GAP), y0 + 12, `${names[r]}, ${p}`, { color: '#cccccc' });
      c.image(x, y0 + TITLE + Math.floor((CELL - dh) / 2), dw, dh, data, sf.w, sf.h);
    });
  });
  return c.png();
}
