/**
 * Plain-TypeScript references for the NN primitives, written directly from the definitions (PyTorch's
 * formulas for resize), on ND arrays in float64. Slow and obvious on purpose.
 */
import { forEachIndex, ND } from './nd';

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** Matrix product with numpy batch broadcasting (both rank ≥ 2). */
export function refMatMul(a: ND, b: ND): ND {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.rank - 1];
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const r = Math.max(ba.length, bb.length);
  const batch = Array.from({ length: r }, (_, i) => Math.max(ba[ba.length - r + i] ?? 1, bb[bb.length - r + i] ?? 1));
  const out = new ND([...batch, m, n]);
  const pick = (shape: number[], idx: number[]) =>
    idx.slice(idx.length - shape.length).map((v, i) => (shape[i] === 1 ? 0 : v));
  forEachIndex(batch, (bi) => {
    const ia = pick(ba, bi);
    const ib = pick(bb, bi);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += a.get([...ia, i, t]) * b.get([...ib, t, j]);
        out.set([...bi, i, j], s);
      }
    }
  });
  return out;
}

export function refTranspose2(a: ND): ND {
  const [r, c] = a.shape;
  const out = new ND([c, r]);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.set([j, i], a.get([i, j]));
  return out;
}

/** Direct N-d convolution (cross-correlation) with pads (begins, ends), strides, dilations and groups. */
export function refConv(
  x: ND,
  w: ND,
  b: ND | null,
  o: { pads?: number[]; strides?: number[]; dilations?: number[]; group?: number } = {},
): ND {
  const [n, cin, ...sp] = x.shape;
  const [cout, cig, ...k] = w.shape;
  const s = sp.length;
  const pads = o.pads ?? new Array(2 * s).fill(0);
  const st = o.strides ?? new Array(s).fill(1);
  const dil = o.dilations ?? new Array(s).fill(1);
  const g = o.group ?? 1;
  if (cin !== cig * g) throw new Error('refConv: channel mismatch');
  const out = sp.map((v, i) => Math.floor((v + pads[i] + pads[i + s] - dil[i] * (k[i] - 1) - 1) / st[i]) + 1);
  const y = new ND([n, cout, ...out]);
  const cog = cout / g;
  y.forEachIndex(([b0, co, ...p], flat) => {
    const grp = Math.floor(co / cog);
    let acc = b ? b.data[co] : 0;
    for (let ci = 0; ci < cig; ci++) {
      forEachIndex(k, (j) => {
        const q = p.map((v, i) => v * st[i] + j[i] * dil[i] - pads[i]);
        if (q.some((v, i) => v < 0 || v >= sp[i])) return;
        acc += x.get([b0, grp * cig + ci, ...q]) * w.get([co, ci, ...j]);
      });
    }
    y.data[flat] = acc;
  });
  return y;
}

/** Max or average pooling (floor mode); padded positions are skipped (max) or counted as zeros (avg, include-pad). */
export function refPool(
  kind: 'max' | 'avg',
  x: ND,
  o: { kernel: number[]; strides?: number[]; pads?: number[]; countIncludePad?: boolean },
): ND {
  const [n, c, ...sp] = x.shape;
  const s = sp.length;
  const k = o.kernel;
  const st = o.strides ?? k;
  const pads = o.pads ?? new Array(2 * s).fill(0);
  const out = sp.map((v, i) => Math.floor((v + pads[i] + pads[i + s] - k[i]) / st[i]) + 1);
  const y = new ND([n, c, ...out]);
  y.forEachIndex(([b0, c0, ...p], flat) => {
    let best = -Infinity;
    let sum = 0;
    let inside = 0;
    forEachIndex(k, (j) => {
      const q = p.map((v, i) => v * st[i] + j[i] - pads[i]);
      if (q.some((v, i) => v < 0 || v >= sp[i])) return;
      const v = x.get([b0, c0, ...q]);
      best = Math.max(best, v);
      sum += v;
      inside++;
    });
    y.data[flat] = kind === 'max' ? best : sum / ((o.countIncludePad ?? true) ? prod(k) : inside);
  });
  return y;
}

/** First-maximum gradient of a non-overlapping max pool (PyTorch's rule), for hand-made cases. */
export function refMaxPoolGrad(x: ND, dy: ND, kernel: number[]): ND {
  const dx = new ND([...x.shape]);
  dy.forEachIndex(([b0, c0, ...p], flat) => {
    let best = -Infinity;
    let at: number[] = [];
    forEachIndex(kernel, (j) => {
      const q = [b0, c0, ...p.map((v, i) => v * kernel[i] + j[i])];
      if (x.get(q) > best) {
        best = x.get(q);
        at = q;
      }
    });
    dx.set(at, dy.data[flat]);
  });
  return dx;
}

type Coord = 'align_corners' | 'half_pixel' | 'asymmetric';

/** PyTorch's source index for linear modes (upsample_trilinear3d: area_pixel_compute_source_index). */
function torchLinearSource(i: number, inLen: number, outLen: number, mode: Coord): number {
  if (mode === 'align_corners') return outLen > 1 ? (i * (inLen - 1)) / (outLen - 1) : 0;
  const scale = inLen / outLen;
  if (mode === 'asymmetric') return i * scale;
  return Math.max((i + 0.5) * scale - 0.5, 0);
}

/** Linear resize along the trailing `sizes.length` axes, written as PyTorch's per-point (tri)linear formula. */
export function refResizeLinear(x: ND, sizes: number[], mode: Coord): ND {
  const lead = x.rank - sizes.length;
  const inSp = x.shape.slice(lead);
  const y = new ND([...x.shape.slice(0, lead), ...sizes]);
  y.forEachIndex((idx, flat) => {
    const pre = idx.slice(0, lead);
    const taps = sizes.map((outLen, a) => {
      const src = torchLinearSource(idx[lead + a], inSp[a], outLen, mode);
      const i0 = Math.min(Math.floor(src), inSp[a] - 1);
      const i1 = Math.min(i0 + 1, inSp[a] - 1);
      const l1 = Math.min(Math.max(src - i0, 0), 1);
      return [
        [i0, 1 - l1],
        [i1, l1],
      ];
    });
    let acc = 0;
    forEachIndex(
      sizes.map(() => 2),
      (corner) => {
        let wgt = 1;
        const at = corner.map((c, a) => {
          wgt *= taps[a][c][1];
          return taps[a][c][0];
        });
        acc += wgt * x.get([...pre, ...at]);
      },
    );
    y.data[flat] = acc;
  });
  return y;
}

/** Nearest resize over every axis, ONNX's definition: index = round_mode(source coordinate), clamped. */
export function refResizeNearest(x: ND, sizes: number[], mode: Coord, rounding: 'floor' | 'round_prefer_floor'): ND {
  const y = new ND([...sizes]);
  y.forEachIndex((idx, flat) => {
    const src = idx.map((i, a) => {
      const inLen = x.shape[a];
      const outLen = sizes[a];
      const c =
        mode === 'align_corners'
          ? outLen > 1
            ? (i * (inLen - 1)) / (outLen - 1)
            : 0
          : mode === 'asymmetric'
            ? (i * inLen) / outLen
            : ((i + 0.5) * inLen) / outLen - 0.5;
      const r = rounding === 'floor' ? Math.floor(c) : c - Math.floor(c) === 0.5 ? Math.floor(c) : Math.round(c);
      return Math.min(Math.max(r, 0), inLen - 1);
    });
    y.data[flat] = x.get(src);
  });
  return y;
}
