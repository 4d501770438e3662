import { type Dim, scaleDim } from '../dim';
import { BuildError } from '../errors';
import { resize } from '../ops';
import type { Tensor } from '../tensor';

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'trilinear';

export interface InterpolateArgs {
  /** Output spatial size (a number for every axis, or one per axis); or give `scaleFactor`. */
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  /** Default 'nearest' (PyTorch's). 'linear' is for 3-D input, 'bilinear' 4-D, 'trilinear' 5-D. */
  mode?: InterpolateMode;
  /** Linear modes only; default false. */
  alignCorners?: boolean;
}

const LINEAR_RANK: Record<string, number> = { linear: 3, bilinear: 4, trilinear: 5 };

/**
 * torch.nn.functional.interpolate for 'nearest' and the linear modes, as ONNX Resize (its VJP is one MatMul
 * per axis). NOTE: PyTorch's nearest is ONNX 'asymmetric' + 'floor'; align_corners=False is 'half_pixel'.
 * A scale_factor whose output size is not a whole multiple uses out/in for coordinates (PyTorch's
 * recompute_scale_factor=True); integer factors and explicit sizes match PyTorch exactly.
 */
export function interpolate(x: Tensor, a: InterpolateArgs): Tensor {
  const mode = a.mode ?? 'nearest';
  const fail = (m: string) => new BuildError('interpolate', x.graph.scope, m);
  const s = x.rank - 2;
  if (s < 1 || s > 3) throw fail(`expects (N, C, ...spatial) with 1 to 3 spatial axes, got ${x.type}`);
  if (mode !== 'nearest' && LINEAR_RANK[mode] !== x.rank)
    throw fail(`mode '${mode}' needs a ${LINEAR_RANK[mode]}-D input, got ${x.type}`);
  if (mode === 'nearest' && a.alignCorners !== undefined)
    throw fail(`align_corners applies to the linear modes only, not '${mode}'`);
  if ((a.size === undefined) === (a.scaleFactor === undefined)) throw fail('give exactly one of size and scale_factor');
  const sp = x.dims.slice(2);
  const per = (v: number | readonly number[]) => (typeof v === 'number' ? sp.map(() => v) : [...v]);
  const size: Dim[] = a.size !== undefined ? per(a.size) : per(a.scaleFactor!).map((f, i) => scaleDim(sp[i], f));
  if (size.length !== s || size.some((v) => typeof v === 'number' && (!Number.isInteger(v) || v < 1)))
    throw fail(`output size [${size}] must be ${s} positive integers`);
  return resize(x, {
    sizes: [x.dims[0], x.dims[1], ...size],
    mode: mode === 'nearest' ? 'nearest' : 'linear',
    coordinateTransformationMode: mode === 'nearest' ? 'asymmetric' : a.alignCorners ? 'align_corners' : 'half_pixel',
    nearestMode: 'floor',
  });
}
