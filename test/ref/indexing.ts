/** Plain-TypeScript references for the index primitives, written from the ONNX operator definitions. */
import { ND } from './nd';

const wrap = (i: number, n: number): number => {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new Error(`ref: index ${i} out of range [-${n}, ${n})`);
  return i < 0 ? i + n : i;
};

/** out[pre, j..., post] = x[pre, idx[j...], post] */
export function gatherRef(x: ND, idx: ND, axis: number): ND {
  const q = idx.rank;
  const out = new ND([...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)]);
  out.forEachIndex((o, flat) => {
    const i = wrap(idx.get(o.slice(axis, axis + q)), x.shape[axis]);
    out.data[flat] = x.get([...o.slice(0, axis), i, ...o.slice(axis + q)]);
  });
  return out;
}

/** out[p] = x[p with p[axis] replaced by idx[p]] */
export function gatherElementsRef(x: ND, idx: ND, axis: number): ND {
  const out = new ND([...idx.shape]);
  out.forEachIndex((p, flat) => {
    const s = [...p];
    s[axis] = wrap(idx.data[flat], x.shape[axis]);
    out.data[flat] = x.get(s);
  });
  return out;
}

/** out[j..., rest...] = x[idx[j..., :], rest...] (batch_dims 0) */
export function gatherNDRef(x: ND, idx: ND): ND {
  const k = idx.shape[idx.rank - 1];
  const lead = idx.shape.slice(0, -1);
  const out = new ND([...lead, ...x.shape.slice(k)]);
  out.forEachIndex((o, flat) => {
    const j = o.slice(0, lead.length);
    const tuple = Array.from({ length: k }, (_, c) => wrap(idx.get([...j, c]), x.shape[c]));
    out.data[flat] = x.get([...tuple, ...o.slice(lead.length)]);
  });
  return out;
}

type Red = 'none' | 'add';
const combine = (old: number, u: number, r: Red) => (r === 'add' ? old + u : u);

/** A copy of x with the slices at the index tuples of idx set to (or incremented by) updates. */
export function scatterNDRef(x: ND, idx: ND, u: ND, reduction: Red): ND {
  const out = new ND([...x.shape], Float64Array.from(x.data));
  const k = idx.shape[idx.rank - 1];
  const lead = idx.rank - 1;
  u.forEachIndex((p, flat) => {
    const tuple = Array.from({ length: k }, (_, c) => wrap(idx.get([...p.slice(0, lead), c]), x.shape[c]));
    const at = [...tuple, ...p.slice(lead)];
    out.set(at, combine(out.get(at), u.data[flat], reduction));
  });
  return out;
}

/** A copy of x with out[p with p[axis] = idx[p]] set to (or incremented by) updates[p]. */
export function scatterElementsRef(x: ND, idx: ND, u: ND, axis: number, reduction: Red): ND {
  const out = new ND([...x.shape], Float64Array.from(x.data));
  u.forEachIndex((p, flat) => {
    const at = [...p];
    at[axis] = wrap(idx.data[flat], x.shape[axis]);
    out.set(at, combine(out.get(at), u.data[flat], reduction));
  });
  return out;
}

/** The adjoint of gatherRef: zeros of `shape` with u[pre, j..., post] added at [pre, idx[j...], post]. */
export function scatterAddRef(u: ND, idx: ND, shape: number[], axis: number): ND {
  const out = new ND([...shape]);
  const q = idx.rank;
  u.forEachIndex((p, flat) => {
    const i = wrap(idx.get(p.slice(axis, axis + q)), shape[axis]);
    const at = [...p.slice(0, axis), i, ...p.slice(axis + q)];
    out.set(at, out.get(at) + u.data[flat]);
  });
  return out;
}
