/** Plain-TypeScript references for the reduction primitives, written from the ONNX operator definitions. */
import { forEachIndex, ND } from './nd';

const wrap = (a: number, rank: number): number => (a < 0 ? a + rank : a);

/** Visits each output position of a reduction and the list of input values it reduces. */
function reduceWith(x: ND, axes: number[], keepdims: boolean, f: (vals: number[]) => number): ND {
  const ax = axes.map((a) => wrap(a, x.rank));
  const kept = x.shape.map((s, i) => (ax.includes(i) ? 1 : s));
  const groups = new Map<number, number[]>();
  const kStrides = new ND(kept).strides;
  x.forEachIndex((idx, flat) => {
    let o = 0;
    idx.forEach((v, i) => (o += (ax.includes(i) ? 0 : v) * kStrides[i]));
    if (!groups.has(o)) groups.set(o, []);
    groups.get(o)!.push(x.data[flat]);
  });
  const out = new ND(keepdims ? kept : kept.filter((_, i) => !ax.includes(i)));
  for (let o = 0; o < out.size; o++) out.data[o] = f(groups.get(o) ?? []);
  return out;
}

export type ReduceKind = 'sum' | 'mean' | 'max' | 'min';

export function reduceRef(x: ND, axes: number[], keepdims: boolean, kind: ReduceKind): ND {
  return reduceWith(x, axes, keepdims, (v) => {
    if (kind === 'max') return Math.max(...v);
    if (kind === 'min') return Math.min(...v);
    const s = v.reduce((a, b) => a + b, 0);
    return kind === 'sum' ? s : s / v.length;
  });
}

/** Index of the first (or last) maximum along `axis`. */
export function argMaxRef(x: ND, axis: number, keepdims: boolean, last = false): ND {
  const a = wrap(axis, x.rank);
  return reduceWith(x, [a], keepdims, (v) => {
    let best = 0;
    v.forEach((val, i) => {
      if (val > v[best] || (last && val === v[best])) best = i;
    });
    return best;
  });
}

/** Applies `f` to every 1-d line of `x` along `axis` and writes the results back in place of a copy. */
function alongAxis(x: ND, axis: number, f: (line: number[]) => number[]): ND {
  const a = wrap(axis, x.rank);
  const out = new ND([...x.shape]);
  const outer = x.shape.map((s, i) => (i === a ? 1 : s));
  forEachIndex(outer, (idx) => {
    const pos = (k: number) => x.offset(idx.map((v, i) => (i === a ? k : v)));
    const line = Array.from({ length: x.shape[a] }, (_, k) => x.data[pos(k)]);
    f(line).forEach((v, k) => (out.data[pos(k)] = v));
  });
  return out;
}

export function softmaxRef(x: ND, axis: number): ND {
  return alongAxis(x, axis, (v) => {
    const m = Math.max(...v);
    const e = v.map((t) => Math.exp(t - m));
    const s = e.reduce((p, q) => p + q, 0);
    return e.map((t) => t / s);
  });
}

/** (x − m) − log Σ e^(x − m) along `axis`, in float64. */
export function logSoftmaxRef(x: ND, axis: number): ND {
  return alongAxis(x, axis, (v) => {
    const m = Math.max(...v);
    const lse = Math.log(v.reduce((s, t) => s + Math.exp(t - m), 0));
    return v.map((t) => t - m - lse);
  });
}

export function cumsumRef(x: ND, axis: number, exclusive: boolean, reverse: boolean): ND {
  return alongAxis(x, axis, (v) => {
    const n = v.length;
    return v.map((_, i) => {
      let s = 0;
      for (let j = 0; j < n; j++) {
        const before = reverse ? j > i : j < i;
        if (before || (!exclusive && j === i)) s += v[j];
      }
      return s;
    });
  });
}
