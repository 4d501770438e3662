/** Plain-TypeScript references for the shape primitives, written from the ONNX operator definitions. */
import { bget, broadcastShape, ND } from './nd';

const wrap = (a: number, rank: number): number => (a < 0 ? a + rank : a);

/** Same data, another shape (Reshape, Squeeze, Unsqueeze). */
export function reshapeRef(x: ND, shape: number[]): ND {
  return new ND([...shape], Float64Array.from(x.data));
}

export function transposeRef(x: ND, perm: number[]): ND {
  const out = new ND(perm.map((p) => x.shape[p]));
  out.forEachIndex((o, flat) => {
    const src = new Array(x.rank);
    perm.forEach((p, i) => (src[p] = o[i]));
    out.data[flat] = x.get(src);
  });
  return out;
}

/** The indices Python's `range(*slice(start, stop, step).indices(n))` visits (CPython's algorithm). */
export function sliceIndices(n: number, start: number | undefined, stop: number | undefined, step: number): number[] {
  const lower = step < 0 ? -1 : 0;
  const upper = step < 0 ? n - 1 : n;
  const fix = (v: number | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    if (v < 0) return Math.max(v + n, lower);
    return Math.min(v, upper);
  };
  const s = fix(start, step < 0 ? upper : lower);
  const e = fix(stop, step < 0 ? lower : upper);
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

/** numpy basic slicing: x[..., start:stop:step, ...] on each listed axis. */
export function sliceRef(
  x: ND,
  axes: number[],
  starts: (number | undefined)[],
  ends: (number | undefined)[],
  steps: number[],
): ND {
  const picks = x.shape.map((n, d) => {
    const k = axes.map((a) => wrap(a, x.rank)).indexOf(d);
    return k < 0 ? Array.from({ length: n }, (_, i) => i) : sliceIndices(n, starts[k], ends[k], steps[k] ?? 1);
  });
  const out = new ND(picks.map((p) => p.length));
  out.forEachIndex((o, flat) => (out.data[flat] = x.get(o.map((v, d) => picks[d][v]))));
  return out;
}

/** ONNX Pad: pads = begins then ends, negative values crop. */
export function padRef(x: ND, pads: number[], mode: 'constant' | 'edge' | 'reflect' = 'constant', value = 0): ND {
  const r = x.rank;
  const out = new ND(x.shape.map((s, i) => s + pads[i] + pads[i + r]));
  out.forEachIndex((o, flat) => {
    let inside = true;
    const src = o.map((v, i) => {
      let k = v - pads[i];
      const n = x.shape[i];
      if (k < 0 || k >= n) {
        inside = false;
        if (mode === 'edge') k = Math.min(Math.max(k, 0), n - 1);
        if (mode === 'reflect') {
          const period = 2 * (n - 1);
          k = ((k % period) + period) % period;
          if (k >= n) k = period - k;
        }
      }
      return k;
    });
    out.data[flat] = inside || mode !== 'constant' ? x.get(src) : value;
  });
  return out;
}

export function concatRef(xs: ND[], axis: number): ND {
  const a = wrap(axis, xs[0].rank);
  const shape = [...xs[0].shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
  const out = new ND(shape);
  out.forEachIndex((o, flat) => {
    let k = o[a];
    let i = 0;
    while (k >= xs[i].shape[a]) k -= xs[i++].shape[a];
    out.data[flat] = xs[i].get(o.map((v, d) => (d === a ? k : v)));
  });
  return out;
}

export function splitRef(x: ND, axis: number, sizes: number[]): ND[] {
  const a = wrap(axis, x.rank);
  let off = 0;
  return sizes.map((n) => {
    const start = off;
    off += n;
    return sliceRef(x, [a], [start], [start + n], [1]);
  });
}

export function expandRef(x: ND, shape: number[]): ND {
  const out = new ND(broadcastShape(x.shape, shape));
  out.forEachIndex((o, flat) => (out.data[flat] = bget(x, o)));
  return out;
}
