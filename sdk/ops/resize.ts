import { fromNumbers } from '../dtype';
import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { FLOATS } from './kit';
import { matmul } from './matmul';
import { reshape } from './reshape';

export type ResizeMode = 'nearest' | 'linear';
export type CoordinateTransformationMode = 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

export interface ResizeAttrs {
  /** The full output shape (every axis). */
  sizes: number[];
  mode: ResizeMode;
  coordinateTransformationMode: CoordinateTransformationMode;
  /** Only used by mode 'nearest'. */
  nearestMode: NearestMode;
}

/** ONNX's source coordinate of output index `i` along an axis of `inLen` → `outLen` (scale = out/in). */
export function sourceCoordinate(i: number, inLen: number, outLen: number, mode: CoordinateTransformationMode): number {
  const scale = outLen / inLen;
  switch (mode) {
    case 'half_pixel': return (i + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return outLen > 1 ? (i + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return outLen === 1 ? 0 : (i * (inLen - 1)) / (outLen - 1);
    case 'asymmetric': return i / scale;
  }
}

function nearestIndex(x: number, mode: NearestMode): number {
  switch (mode) {
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'round_prefer_floor': return x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil': return Math.round(x);
  }
}

/**
 * The [out, in] matrix M of one axis, row-major: y = M·x along that axis. Linear mode weighs the two
 * neighbours of the source coordinate, clamped to the edge as ONNX and PyTorch do.
 */
export function interpolationMatrix(inLen: number, outLen: number, a: Omit<ResizeAttrs, 'sizes'>): Float64Array {
  const m = new Float64Array(outLen * inLen);
  const clamp = (j: number) => Math.min(Math.max(j, 0), inLen - 1);
  for (let i = 0; i < outLen; i++) {
    const x = sourceCoordinate(i, inLen, outLen, a.coordinateTransformationMode);
    if (a.mode === 'nearest') {
      m[i * inLen + clamp(nearestIndex(x, a.nearestMode))] = 1;
    } else {
      const x0 = Math.floor(x);
      const r = x - x0;
      m[i * inLen + clamp(x0)] += 1 - r;
      m[i * inLen + clamp(x0 + 1)] += r;
    }
  }
  return m;
}

/** Replaces axis `axis` of `t` (length `cols`) by A·(that axis), A a constant [rows, cols]; no transposes. */
function mapAxis(t: Tensor, axis: number, a: Float64Array, rows: number, cols: number): Tensor {
  const g = t.graph;
  const before = t.shape.slice(0, axis).reduce((p, v) => p * v, 1);
  const after = t.shape.slice(axis + 1).reduce((p, v) => p * v, 1);
  const outShape = t.shape.map((v, i) => (i === axis ? rows : v));
  if (after === 1) {
    const at = Array.from({ length: cols * rows }, (_, k) => a[(k % rows) * cols + Math.floor(k / rows)]);
    return reshape(matmul(reshape(t, [before, cols]), g.constant(fromNumbers(t.dtype, at), t.dtype, [cols, rows])), outShape);
  }
  const m = g.constant(fromNumbers(t.dtype, a), t.dtype, [rows, cols]);
  return reshape(matmul(m, reshape(t, before === 1 ? [cols, after] : [before, cols, after])), outShape);
}

/**
 * Applies the separable resize (or, with `transposed`, its adjoint) as one MatMul per resized axis, last axis
 * first. The adjoint is Resize's VJP; the forward form lets tests check ONNX Resize against our matrices.
 */
export function resizeByMatMul(x: Tensor, outShape: readonly number[], a: Omit<ResizeAttrs, 'sizes'>, transposed = false): Tensor {
  let t = x;
  for (let axis = x.rank - 1; axis >= 0; axis--) {
    // The forward resize of this axis maps inLen → outLen; the adjoint maps back.
    const [inLen, outLen] = transposed ? [outShape[axis], x.shape[axis]] : [x.shape[axis], outShape[axis]];
    if (inLen === outLen) continue;
    const m = interpolationMatrix(inLen, outLen, a);
    if (!transposed) {
      t = mapAxis(t, axis, m, outLen, inLen);
    } else {
      const mt = new Float64Array(m.length);
      for (let i = 0; i < outLen; i++) for (let j = 0; j < inLen; j++) mt[j * outLen + i] = m[i * inLen + j];
      t = mapAxis(t, axis, mt, inLen, outLen);
    }
  }
  return t;
}

/**
 * ONNX Resize (opset 13+), modes 'nearest' and 'linear', lowered as Resize(X, roi='', scales='', sizes).
 * VJP: the resize is linear and separable, y = (⊗ M_axis)·x, so dx = (⊗ M_axisᵀ)·dy: one MatMul per
 * resized axis with a constant matrix (no GridSample or Scatter).
 * NOTE: PyTorch's align_corners=True is 'align_corners'; align_corners=False is 'half_pixel' (or
 * 'pytorch_half_pixel', which differs only for an output length 1). torch's nearest is 'asymmetric' + 'floor'.
 */
export const Resize: Primitive<ResizeAttrs> = {
  name: 'Resize',
  inputs: ['X'],
  infer([x], { sizes, mode, coordinateTransformationMode: ctm, nearestMode }) {
    check(x, 'missing input');
    check(FLOATS.includes(x.dtype), () => `X must be a float tensor, got ${x.dtype}`);
    check(sizes.length === x.rank && sizes.every((s) => Number.isInteger(s) && s >= 1),
      () => `sizes [${sizes}] must be ${x.rank} positive integers for X [${x.shape}]`);
    check(mode === 'nearest' || mode === 'linear', () => `mode '${mode}' is not supported (nearest | linear)`);
    check(['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'].includes(ctm), () => `coordinate_transformation_mode '${ctm}' is not supported`);
    check(['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'].includes(nearestMode), () => `nearest_mode '${nearestMode}' is not supported`);
    if (mode === 'linear' && x.rank > 2) {
      // ORT's CPU kernel interpolates linearly over at most the 3 innermost axes of N-C-first tensors.
      check(sizes[0] === x.shape[0] && sizes[1] === x.shape[1], () => `linear mode cannot resize the batch or channel axes: X [${x.shape}] to [${sizes}]`);
    }
    return [{ dtype: x.dtype, shape: [...sizes] }];
  },
  lower(ctx, node) {
    const { sizes, mode, coordinateTransformationMode, nearestMode } = node.attrs;
    ctx.emit('Resize', [ctx.name(node.inputs[0]), '', '', ctx.i64(sizes)], [ctx.name(node.outputs[0])], {
      mode: { str: mode }, coordinate_transformation_mode: { str: coordinateTransformationMode },
      ...(mode === 'nearest' ? { nearest_mode: { str: nearestMode } } : {}),
    });
  },
  vjp: ([dy], { inputs: [x], attrs }) => [resizeByMatMul(dy!, x!.shape, attrs, true)],
};

export interface ResizeOptions {
  /** The full output shape; or give `scales` (per axis; sizes = floor(size·scale)). */
  sizes?: readonly number[];
  scales?: readonly number[];
  mode?: ResizeMode;
  coordinateTransformationMode?: CoordinateTransformationMode;
  nearestMode?: NearestMode;
}

/**
 * Resizes `x` (ONNX defaults: mode 'nearest', 'half_pixel', 'round_prefer_floor'). The U-Net's trilinear ×2
 * with align_corners=True: `resize(x, { scales: [1, 1, 2, 2, 2], mode: 'linear', coordinateTransformationMode: 'align_corners' })`.
 * NOTE: `scales` are turned into sizes, so coordinates use the scale out/in (the same when size·scale is whole).
 */
export function resize(x: Tensor, o: ResizeOptions): Tensor {
  const sizes = o.sizes ? [...o.sizes] : (o.scales ?? []).map((s, i) => Math.floor(x.shape[i] * s));
  return x.graph.apply(Resize, [x], {
    sizes, mode: o.mode ?? 'nearest', coordinateTransformationMode: o.coordinateTransformationMode ?? 'half_pixel',
    nearestMode: o.nearestMode ?? 'round_prefer_floor',
  })[0];
}
