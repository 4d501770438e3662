/**
 * Resize as constant per-axis interpolation matrices (ONNX's coordinate conventions), applied with MatMul:
 * the adjoint is Resize's VJP; the forward form lets tests check ONNX Resize against the same matrices.
 * NOTE: dense matrices waste the zeros, yet on ORT's CPU EP the adjoint of a ×2 trilinear [1,32,32³] → 64³
 * took ~10 ms (kernel time, 1 thread), and the forward by MatMul ~12 ms against ~25–30 ms for ONNX Resize.
 */
import { type Dim, mulDims, requireStatic } from '../dim';
import { fromNumbers } from '../dtype';
import type { Tensor } from '../tensor';
import { matmul } from './matmul';
import { reshape } from './reshape';
import type { CoordinateTransformationMode, NearestMode, ResizeAttrs } from './resize';

/** ONNX's source coordinate of output index `i` along an axis of `inLen` → `outLen` (scale = out/in). */
export function sourceCoordinate(i: number, inLen: number, outLen: number, mode: CoordinateTransformationMode): number {
  const scale = outLen / inLen;
  switch (mode) {
    case 'half_pixel':
      return (i + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return outLen > 1 ? (i + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outLen === 1 ? 0 : (i * (inLen - 1)) / (outLen - 1);
    case 'asymmetric':
      return i / scale;
  }
}

function nearestIndex(x: number, mode: NearestMode): number {
  switch (mode) {
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'round_prefer_floor':
      return x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil':
      return Math.round(x);
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
  const before = mulDims(...t.dims.slice(0, axis));
  const after = mulDims(...t.dims.slice(axis + 1));
  const outShape = t.dims.map((v, i) => (i === axis ? rows : v));
  if (after === 1) {
    const at = Array.from({ length: cols * rows }, (_, k) => a[(k % rows) * cols + Math.floor(k / rows)]);
    return reshape(
      matmul(reshape(t, [before, cols]), g.constant(fromNumbers(t.dtype, at), t.dtype, [cols, rows])),
      outShape,
    );
  }
  const m = g.constant(fromNumbers(t.dtype, a), t.dtype, [rows, cols]);
  return reshape(matmul(m, reshape(t, before === 1 ? [cols, after] : [before, cols, after])), outShape);
}

/**
 * Applies the separable resize (or, with `transposed`, its adjoint) as one MatMul per resized axis, last axis
 * first. The adjoint is Resize's VJP; the forward form lets tests check ONNX Resize against our matrices.
 */
export function resizeByMatMul(
  x: Tensor,
  outShape: readonly Dim[],
  a: Omit<ResizeAttrs, 'sizes'>,
  transposed = false,
): Tensor {
  let t = x;
  for (let axis = x.rank - 1; axis >= 0; axis--) {
    // The forward resize of this axis maps inLen → outLen; the adjoint maps back.
    const lens = transposed ? [outShape[axis], x.dims[axis]] : [x.dims[axis], outShape[axis]];
    if (lens[0] === lens[1]) continue;
    const [inLen, outLen] = requireStatic(lens, `the matrix form of Resize on axis ${axis}`);
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
