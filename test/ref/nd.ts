/**
 * A tiny n-d array for plain-TypeScript reference implementations (float64 math, row-major). Slow and
 * obvious on purpose: it is the independent oracle the ONNX lowerings are compared with.
 */
export class ND {
  readonly strides: number[];
  constructor(
    readonly shape: number[],
    readonly data: Float64Array = new Float64Array(shape.reduce((a, b) => a * b, 1)),
  ) {
    this.strides = strides(shape);
    if (data.length !== shape.reduce((a, b) => a * b, 1))
      throw new Error(`ND: ${data.length} values for shape [${shape}]`);
  }
  static from(shape: number[], values: ArrayLike<number | bigint>): ND {
    return new ND(
      [...shape],
      Float64Array.from(values as ArrayLike<number>, (v) => Number(v)),
    );
  }
  static fill(shape: number[], v: number): ND {
    return new ND([...shape], new Float64Array(shape.reduce((a, b) => a * b, 1)).fill(v));
  }
  get size(): number {
    return this.data.length;
  }
  get rank(): number {
    return this.shape.length;
  }
  offset(idx: readonly number[]): number {
    let o = 0;
    for (let i = 0; i < idx.length; i++) o += idx[i] * this.strides[i];
    return o;
  }
  get(idx: readonly number[]): number {
    return this.data[this.offset(idx)];
  }
  set(idx: readonly number[], v: number): void {
    this.data[this.offset(idx)] = v;
  }
  map(f: (v: number, i: number) => number): ND {
    return new ND([...this.shape], this.data.map(f));
  }
  /** Calls f with every multi-index in row-major order. */
  forEachIndex(f: (idx: number[], flat: number) => void): void {
    forEachIndex(this.shape, f);
  }
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

export function forEachIndex(shape: readonly number[], f: (idx: number[], flat: number) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(idx, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`ref: [${a}] and [${b}] do not broadcast`);
    return Math.max(x, y) === 1 ? 1 : x === 1 ? y : x;
  });
}

/** Value of `a` at output index `idx` under numpy broadcasting. */
export function bget(a: ND, idx: readonly number[]): number {
  const lead = idx.length - a.rank;
  let o = 0;
  for (let i = 0; i < a.rank; i++) o += (a.shape[i] === 1 ? 0 : idx[lead + i]) * a.strides[i];
  return a.data[o];
}

/** Elementwise n-ary op with numpy broadcasting. */
export function zipWith(xs: ND[], f: (...v: number[]) => number): ND {
  const shape = xs.map((x) => x.shape).reduce((s, t) => broadcastShape(s, t));
  const out = new ND(shape);
  out.forEachIndex((idx, flat) => {
    out.data[flat] = f(...xs.map((x) => bget(x, idx)));
  });
  return out;
}
