import { isStatic } from '../dim';
import { allocate } from '../dtype';
import { BuildError } from '../errors';
import { avgPool, concat, maxPool, mul, pad, reduceMax, reduceMean, slice } from '../ops';
import type { Tensor } from '../tensor';
import { expectSpatial, ntuple, prod } from './util';

export interface MaxPoolArgs {
  /** Default: the kernel size (PyTorch's default). */
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  ceilMode?: boolean;
}

export interface AvgPoolArgs {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  ceilMode?: boolean;
  /** Default true (PyTorch's). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this number instead (PyTorch's divisor_override). */
  divisorOverride?: number;
}

interface Window {
  k: number[];
  s: number[];
  p: number[];
  d: number[];
  /** Extra end padding that turns floor-mode output sizes into PyTorch's ceil-mode sizes. */
  extra: number[];
  out: number[];
}

/** The spatial dims as numbers, or a one-line error saying which option needs them static. */
function staticSpatial(op: string, x: Tensor, why: string): number[] {
  const sp = x.dims.slice(2);
  if (!isStatic(sp))
    throw new BuildError(
      op,
      x.graph.scope,
      `${why} needs static spatial dims, got input ${x.type} (only the batch may be symbolic here)`,
    );
  return [...sp];
}

/** Kernel, stride, padding and dilation per axis (output sizes need static spatial dims: see `window`). */
function windowAttrs(op: string, x: Tensor, sdim: number, kernel: number | readonly number[], a: MaxPoolArgs) {
  expectSpatial(x, sdim, op);
  const k = ntuple(kernel, sdim, `${op} kernel_size`);
  const s = ntuple(a.stride ?? k, sdim, `${op} stride`);
  const p = ntuple(a.padding ?? 0, sdim, `${op} padding`);
  const d = ntuple(a.dilation ?? 1, sdim, `${op} dilation`);
  if (p.some((v, i) => v > Math.floor(k[i] / 2)))
    throw new BuildError(op, x.graph.scope, `padding [${p}] should be at most half of the kernel size [${k}]`);
  return { k, s, p, d };
}

/**
 * Symbolic spatial dims in floor mode (no ceil_mode, no divisor_override): the pool primitive's own shape rule
 * derives the output lengths, so one file serves every size.
 */
const symbolicFloor = (x: Tensor, a: AvgPoolArgs & MaxPoolArgs): boolean =>
  !isStatic(x.dims.slice(2)) && !a.ceilMode && a.divisorOverride === undefined;

/** Kernel, stride, padding, dilation and output size per axis, checked as PyTorch checks them. */
function window(op: string, x: Tensor, sdim: number, kernel: number | readonly number[], a: MaxPoolArgs): Window {
  const { k, s, p, d } = windowAttrs(op, x, sdim, kernel, a);
  const fail = (m: string) => new BuildError(op, x.graph.scope, m);
  const sp = staticSpatial(op, x, a.ceilMode ? 'ceil_mode' : 'divisor_override');
  const out: number[] = [];
  const extra: number[] = [];
  sp.forEach((l, i) => {
    if (p[i] > Math.floor(k[i] / 2)) throw fail(`padding [${p}] should be at most half of the kernel size [${k}]`);
    const span = l + 2 * p[i] - d[i] * (k[i] - 1) - 1;
    if (span < 0)
      throw fail(`kernel [${k}] (dilation [${d}]) is larger than the padded input ${x.type} (padding [${p}])`);
    let o = (a.ceilMode ? Math.ceil(span / s[i]) : Math.floor(span / s[i])) + 1;
    // PyTorch: the last window must start inside the input or its left padding.
    if (a.ceilMode && (o - 1) * s[i] >= l + p[i]) o--;
    out.push(o);
    extra.push(Math.max(0, (o - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (l + 2 * p[i])));
  });
  return { k, s, p, d, extra, out };
}

function maxPoolNd(sdim: number, op: string, x: Tensor, kernel: number | readonly number[], a: MaxPoolArgs): Tensor {
  if (symbolicFloor(x, a)) {
    const { k, s, p, d } = windowAttrs(op, x, sdim, kernel, a);
    return maxPool(x, { kernel: k, strides: s, pads: [...p, ...p], dilations: d });
  }
  const w = window(op, x, sdim, kernel, a);
  const ends = w.p.map((v, i) => v + w.extra[i]);
  if (ends.every((v, i) => v < w.k[i]))
    return maxPool(x, { kernel: w.k, strides: w.s, pads: [...w.p, ...ends], dilations: w.d });
  // ONNX MaxPool needs pads smaller than the kernel: a longer ceil-mode overhang is padded explicitly with the
  // lowest finite value (never a window's max; not −∞, whose 0·∞ would be NaN in the gradient's one-hot Conv).
  const xp = pad(x, [0, 0, ...w.p.map(() => 0), 0, 0, ...w.extra], { value: -3.4028234663852886e38 });
  return maxPool(xp, { kernel: w.k, strides: w.s, pads: [...w.p, ...w.p], dilations: w.d });
}

/** torch.nn.functional.max_pool1d (no indices). MaxPool; trainable for any kernel/stride/padding/dilation. */
export const maxPool1d = (x: Tensor, kernelSize: number | readonly number[], a: MaxPoolArgs = {}): Tensor =>
  maxPoolNd(1, 'max_pool1d', x, kernelSize, a);
/** torch.nn.functional.max_pool2d (no indices). */
export const maxPool2d = (x: Tensor, kernelSize: number | readonly number[], a: MaxPoolArgs = {}): Tensor =>
  maxPoolNd(2, 'max_pool2d', x, kernelSize, a);
/** torch.nn.functional.max_pool3d (no indices). */
export const maxPool3d = (x: Tensor, kernelSize: number | readonly number[], a: MaxPoolArgs = {}): Tensor =>
  maxPoolNd(3, 'max_pool3d', x, kernelSize, a);

/** Number of elements of window `o` along one axis inside [lo, hi) (input coordinates). */
function clipped(o: number, w: Window, i: number, lo: number, hi: number): number {
  const start = o * w.s[i] - w.p[i];
  return Math.min(start + w.k[i], hi) - Math.max(start, lo);
}

function avgPoolNd(sdim: number, op: string, x: Tensor, kernel: number | readonly number[], a: AvgPoolArgs): Tensor {
  const include = a.countIncludePad ?? true;
  if (symbolicFloor(x, a)) {
    const { k, s, p } = windowAttrs(op, x, sdim, kernel, a);
    return avgPool(x, { kernel: k, strides: s, pads: [...p, ...p], countIncludePad: include });
  }
  const w = window(op, x, sdim, kernel, a);
  const d = a.divisorOverride;
  if (d !== undefined && !(Number.isInteger(d) && d > 0))
    throw new BuildError(op, x.graph.scope, `divisor_override must be a positive integer, got ${d}`);
  if (d === undefined && w.extra.every((e) => e === 0))
    return avgPool(x, { kernel: w.k, strides: w.s, pads: [...w.p, ...w.p], countIncludePad: include });
  // divisor_override, or ceil_mode with an overhanging last window: PyTorch divides by the window clipped to the padded input
  // (count_include_pad) or to the input; ONNX would count the overhang. Sum-pool the explicitly padded x and
  // divide by that count (a constant over space only, so any batch size works).
  const sp = staticSpatial(op, x, 'ceil_mode or divisor_override');
  const xp = pad(x, [0, 0, ...w.p, 0, 0, ...w.p.map((v, i) => v + w.extra[i])]);
  const sum = mul(avgPool(xp, { kernel: w.k, strides: w.s }), prod(w.k));
  if (d !== undefined) return mul(sum, 1 / d);
  const inv = allocate(x.dtype, prod(w.out)) as Float32Array;
  inv.forEach((_, flat) => {
    let rest = flat;
    let count = 1;
    for (let i = sdim - 1; i >= 0; i--) {
      const o = rest % w.out[i];
      rest = Math.floor(rest / w.out[i]);
      count *= include ? clipped(o, w, i, -w.p[i], sp[i] + w.p[i]) : clipped(o, w, i, 0, sp[i]);
    }
    inv[flat] = 1 / count;
  });
  return mul(sum, x.graph.constant(inv, x.dtype, [1, 1, ...w.out]));
}

/** torch.nn.functional.avg_pool1d. AveragePool (ceil_mode with an overhang: Pad + AveragePool + a divisor map). */
export const avgPool1d = (x: Tensor, kernelSize: number | readonly number[], a: AvgPoolArgs = {}): Tensor =>
  avgPoolNd(1, 'avg_pool1d', x, kernelSize, a);
/** torch.nn.functional.avg_pool2d. */
export const avgPool2d = (x: Tensor, kernelSize: number | readonly number[], a: AvgPoolArgs = {}): Tensor =>
  avgPoolNd(2, 'avg_pool2d', x, kernelSize, a);
/** torch.nn.functional.avg_pool3d. */
export const avgPool3d = (x: Tensor, kernelSize: number | readonly number[], a: AvgPoolArgs = {}): Tensor =>
  avgPoolNd(3, 'avg_pool3d', x, kernelSize, a);

/**
 * Adaptive pooling as PyTorch defines its windows: output i along an axis of length L covers
 * [⌊i·L/out⌋, ⌈(i+1)·L/out⌉). Sizes that divide evenly are a plain pool with kernel = stride = L/out; otherwise
 * the pool is separable (a box mean or max is a mean or max of per-axis means or maxes): one Slice + Reduce
 * per output index per axis, concatenated. NOTE: for max with ties inside a window the separable form may
 * route the gradient to a different (equal) element than PyTorch; values are identical.
 */
function adaptiveNd(
  sdim: number,
  op: string,
  kind: 'avg' | 'max',
  x: Tensor,
  outputSize: number | readonly (number | null)[],
): Tensor {
  expectSpatial(x, sdim, op);
  const want = typeof outputSize === 'number' ? new Array(sdim).fill(outputSize) : [...outputSize];
  if (!isStatic(x.dims.slice(2))) {
    // Symbolic spatial dims: output size 1 (a global pool, as a ResNet head's) is a reduction over that axis;
    // None keeps the axis; other sizes have windows that depend on the length.
    if (want.length !== sdim || !want.every((o) => o === 1 || o === null)) {
      throw new BuildError(
        op,
        x.graph.scope,
        `output_size [${outputSize}] needs static spatial dims, got input ${x.type} (with symbolic ones only 1 or None per axis)`,
      );
    }
    const axes = want.flatMap((o, i) => (o === 1 ? [i + 2] : []));
    if (axes.length === 0) return x;
    return kind === 'avg' ? reduceMean(x, axes, { keepdims: true }) : reduceMax(x, axes, { keepdims: true });
  }
  const sp = x.dims.slice(2) as number[];
  const out = want.map((o, i) => o ?? sp[i]);
  if (out.length !== sdim || out.some((o) => !Number.isInteger(o) || o < 1)) {
    throw new BuildError(op, x.graph.scope, `output_size [${outputSize}] must be ${sdim} positive integers (or None)`);
  }
  if (sp.every((l, i) => l % out[i] === 0)) {
    const k = sp.map((l, i) => l / out[i]);
    if (k.every((v) => v === 1)) return x;
    return kind === 'avg' ? avgPool(x, { kernel: k }) : maxPool(x, { kernel: k });
  }
  let y = x;
  sp.forEach((l, i) => {
    const o = out[i];
    if (l === o) return;
    const axis = 2 + i;
    const parts = Array.from({ length: o }, (_, j) => {
      const start = Math.floor((j * l) / o);
      const end = Math.ceil(((j + 1) * l) / o);
      const part = slice(y, { axes: [axis], starts: [start], ends: [end] });
      return kind === 'avg'
        ? reduceMean(part, [axis], { keepdims: true })
        : reduceMax(part, [axis], { keepdims: true });
    });
    y = parts.length === 1 ? parts[0] : concat(parts, axis);
  });
  return y;
}

/** torch.nn.functional.adaptive_avg_pool1d. */
export const adaptiveAvgPool1d = (x: Tensor, outputSize: number | readonly (number | null)[]): Tensor =>
  adaptiveNd(1, 'adaptive_avg_pool1d', 'avg', x, outputSize);
/** torch.nn.functional.adaptive_avg_pool2d. */
export const adaptiveAvgPool2d = (x: Tensor, outputSize: number | readonly (number | null)[]): Tensor =>
  adaptiveNd(2, 'adaptive_avg_pool2d', 'avg', x, outputSize);
/** torch.nn.functional.adaptive_avg_pool3d. */
export const adaptiveAvgPool3d = (x: Tensor, outputSize: number | readonly (number | null)[]): Tensor =>
  adaptiveNd(3, 'adaptive_avg_pool3d', 'avg', x, outputSize);
/** torch.nn.functional.adaptive_max_pool1d (no indices). */
export const adaptiveMaxPool1d = (x: Tensor, outputSize: number | readonly (number | null)[]): Tensor =>
  adaptiveNd(1, 'adaptive_max_pool1d', 'max', x, outputSize);
/** torch.nn.functional.adaptive_max_pool2d (no indices). */
export const adaptiveMaxPool2d = (x: Tensor, outputSize: number | readonly (number | null)[]): Tensor =>
  adaptiveNd(2, 'adaptive_max_pool2d', 'max', x, outputSize);
/** torch.nn.functional.adaptive_max_pool3d (no indices). */
export const adaptiveMaxPool3d = (x: Tensor, outputSize: number | readonly (number | null)[]): Tensor =>
  adaptiveNd(3, 'adaptive_max_pool3d', 'max', x, outputSize);
