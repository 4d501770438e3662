/** Shared pieces of MaxPool and AveragePool: attributes, shape rule, and the non-overlapping window view. */
import { fmtDims, mulDims, requireStatic, windowDim } from '../dim';
import { check } from '../errors';
import type { OutputType } from '../primitive';
import type { Tensor } from '../tensor';
import { checkWindowAttrs } from './conv';
import { FLOATS } from './kit';
import { pad } from './pad';
import { reshape } from './reshape';
import { slice } from './slice';

export interface PoolAttrs {
  kernel: number[];
  strides: number[];
  /** ONNX order: begins of every spatial axis, then ends. */
  pads: number[];
  /** MaxPool only; omitted (all 1) for AveragePool. */
  dilations?: number[];
}

export interface PoolOptions {
  kernel: readonly number[];
  /** Default: the kernel (torch's default; ONNX's own default is 1). */
  strides?: readonly number[];
  /** Default: no padding. */
  pads?: readonly number[];
  /** MaxPool only. Default: 1. */
  dilations?: readonly number[];
}

export function poolAttrs(o: PoolOptions): PoolAttrs {
  const a: PoolAttrs = {
    kernel: [...o.kernel],
    strides: [...(o.strides ?? o.kernel)],
    pads: [...(o.pads ?? o.kernel.flatMap(() => [0, 0]))],
  };
  // Dilations are kept only when some is not 1, so that existing graphs keep their exact attributes.
  if (o.dilations && o.dilations.some((d) => d !== 1)) a.dilations = [...o.dilations];
  return a;
}

/** Dilations of a pooling (all 1 when not given). */
export function poolDilations(a: PoolAttrs): number[] {
  return a.dilations ?? a.kernel.map(() => 1);
}

/** Shape rule of a pooling op on [N, C, ...spatial] (floor mode). */
export function poolInfer([x]: readonly (Tensor | null)[], attrs: PoolAttrs): OutputType[] {
  const { kernel, strides, pads } = attrs;
  const dil = poolDilations(attrs);
  check(x, 'missing input');
  check(FLOATS.includes(x.dtype), () => `X must be a float tensor, got ${x.dtype}`);
  check(
    x.rank >= 3 && x.rank <= 5,
    () => `X must be [N, C, ...spatial] with 1 to 3 spatial axes, got ${fmtDims(x.dims)}`,
  );
  const s = x.rank - 2;
  check(
    kernel.length === s && kernel.every((k) => Number.isInteger(k) && k >= 1),
    () => `kernel [${kernel}] must be ${s} positive integers for X ${fmtDims(x.dims)}`,
  );
  checkWindowAttrs(s, { pads, strides, dilations: dil });
  const out = x.dims.slice(2).map((size, i) => {
    check(
      pads[i] < kernel[i] && pads[i + s] < kernel[i],
      () => `pads [${pads}] must be smaller than the kernel [${kernel}]`,
    );
    check(
      typeof size === 'string' || dil[i] * (kernel[i] - 1) + 1 <= size + pads[i] + pads[i + s],
      () =>
        `kernel [${kernel}] (dilations [${dil}]) is larger than the padded input ${fmtDims(x.dims)} (pads [${pads}])`,
    );
    return windowDim(size, kernel[i], pads[i], pads[i + s], strides[i], dil[i]);
  });
  return [{ dtype: x.dtype, shape: [x.dims[0], x.dims[1], ...out] }];
}

/** True when windows tile the input without overlap or padding (trailing rows the forward drops are allowed). */
export function nonOverlapping({ kernel, strides, pads, dilations }: PoolAttrs): boolean {
  return (
    kernel.every((k, i) => k === strides[i]) && pads.every((p) => p === 0) && (dilations ?? []).every((d) => d === 1)
  );
}

/**
 * Views of a non-overlapping pooling: `view(x)` is the covered part of x as [N·C, O1, k1, O2, k2, ...],
 * `outView` the pooled shape [N·C, O1, 1, O2, 1, ...] that broadcasts against it, `restore(t)` turns a
 * window-view tensor back into x's shape (zeros for trailing rows no window covered). N and C are merged
 * to keep a 3-D view at rank 7 (the highest Transpose rank checked on ORT 1.30's WebGPU EP).
 */
export function windowViews(x: Tensor, kernel: readonly number[]) {
  const [n, c] = x.dims;
  const sp = requireStatic(x.dims.slice(2), 'a pooling gradient (spatial axes)');
  const out = sp.map((v, i) => Math.floor(v / kernel[i]));
  const covered = out.map((o, i) => o * kernel[i]);
  const axes = sp.map((_, i) => i + 2);
  const nc = mulDims(n, c);
  const viewShape = [nc, ...out.flatMap((o, i) => [o, kernel[i]])];
  return {
    viewShape,
    outView: [nc, ...out.flatMap((o) => [o, 1])],
    view: (t: Tensor) => reshape(slice(t, { axes, starts: axes.map(() => 0), ends: covered }), viewShape),
    restore: (t: Tensor) =>
      pad(reshape(t, [n, c, ...covered]), [0, 0, ...axes.map(() => 0), 0, 0, ...sp.map((v, i) => v - covered[i])]),
  };
}
