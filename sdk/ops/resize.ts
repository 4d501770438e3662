import { type Dim, fmtDims, isSym, scaleDim } from '../dim';
import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { FLOATS } from './kit';
import { resizeByMatMul } from './resize-grad';

export type ResizeMode = 'nearest' | 'linear';
export type CoordinateTransformationMode = 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

export interface ResizeAttrs {
  /** The full output shape (every axis; symbolic dims computed at run time). */
  sizes: Dim[];
  mode: ResizeMode;
  coordinateTransformationMode: CoordinateTransformationMode;
  /** Only used by mode 'nearest'. */
  nearestMode: NearestMode;
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
    check(
      sizes.length === x.rank && sizes.every((s) => isSym(s) || (Number.isInteger(s) && s >= 1)),
      () => `sizes [${sizes}] must be ${x.rank} positive integers for X ${fmtDims(x.dims)}`,
    );
    check(mode === 'nearest' || mode === 'linear', () => `mode '${mode}' is not supported (nearest | linear)`);
    check(
      ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'].includes(ctm),
      () => `coordinate_transformation_mode '${ctm}' is not supported`,
    );
    check(
      ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'].includes(nearestMode),
      () => `nearest_mode '${nearestMode}' is not supported`,
    );
    if (mode === 'linear' && x.rank > 2) {
      // ORT's CPU kernel interpolates linearly over at most the 3 innermost axes of N-C-first tensors.
      check(
        sizes[0] === x.dims[0] && sizes[1] === x.dims[1],
        () => `linear mode cannot resize the batch or channel axes: X ${fmtDims(x.dims)} to [${sizes}]`,
      );
    }
    return [{ dtype: x.dtype, shape: [...sizes] }];
  },
  lower(ctx, node) {
    const { sizes, mode, coordinateTransformationMode, nearestMode } = node.attrs;
    ctx.emit(
      'Resize',
      [ctx.name(node.inputs[0]), '', '', ctx.shape(sizes, [node.inputs[0]])],
      [ctx.name(node.outputs[0])],
      {
        mode: { str: mode },
        coordinate_transformation_mode: { str: coordinateTransformationMode },
        ...(mode === 'nearest' ? { nearest_mode: { str: nearestMode } } : {}),
      },
    );
  },
  vjp: ([dy], { inputs: [x], attrs }) => [resizeByMatMul(dy!, x!.dims, attrs, true)],
};

export interface ResizeOptions {
  /** The full output shape; or give `scales` (per axis; sizes = floor(size·scale)). */
  sizes?: readonly Dim[];
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
  const sizes = o.sizes ? [...o.sizes] : (o.scales ?? []).map((s, i) => scaleDim(x.dims[i], s));
  return x.graph.apply(Resize, [x], {
    sizes,
    mode: o.mode ?? 'nearest',
    coordinateTransformationMode: o.coordinateTransformationMode ?? 'half_pixel',
    nearestMode: o.nearestMode ?? 'round_prefer_floor',
  })[0];
}
