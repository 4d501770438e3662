import { scaleDim } from '../dim';
import { interpolate, type InterpolateMode } from '../functional/interpolate';
import { leakyRelu, resize } from '../ops';
import type { Tensor } from '../tensor';
import { isRecomputable, recomputable } from '../remat';
import { Module } from './module';

/** torch.nn.LeakyReLU(negative_slope). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  /** Recomputable when its input is (after a GroupNorm): the backward rebuilds it instead of keeping it. */
  forward(x: Tensor): Tensor {
    const alpha = this.negativeSlope;
    const y = leakyRelu(x, { alpha });
    return isRecomputable(x) ? recomputable(y, [x], ([t]) => leakyRelu(t, { alpha })) : y;
  }
}

export interface UpsampleOptions {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  /** Default 'nearest' (PyTorch's). */
  mode?: InterpolateMode;
  alignCorners?: boolean;
}

/**
 * torch.nn.Upsample({ size | scaleFactor, mode = 'nearest', alignCorners }) = F.interpolate.
 * The positional form `new Upsample(scale, mode = 'trilinear', alignCorners = false)` is GVSL's original
 * (its default mode differs from PyTorch's; its graphs are unchanged).
 * NOTE: PyTorch's align_corners=False is ONNX's `half_pixel`; align_corners=True is ONNX's `align_corners`.
 */
export class Upsample extends Module {
  readonly scale: number;
  readonly mode: 'trilinear' | 'nearest';
  readonly alignCorners: boolean;
  private readonly opts: UpsampleOptions | null;
  constructor(
    scaleOrOptions: number | UpsampleOptions = 2,
    mode: 'trilinear' | 'nearest' = 'trilinear',
    alignCorners = false,
  ) {
    super();
    this.opts = typeof scaleOrOptions === 'number' ? null : scaleOrOptions;
    this.scale = typeof scaleOrOptions === 'number' ? scaleOrOptions : 0;
    this.mode = mode;
    this.alignCorners = alignCorners;
  }
  forward(x: Tensor): Tensor {
    if (this.opts) return interpolate(x, this.opts);
    const [n, c, ...sp] = x.dims;
    return resize(x, {
      sizes: [n, c, ...sp.map((s) => scaleDim(s, this.scale))],
      mode: this.mode === 'nearest' ? 'nearest' : 'linear',
      coordinateTransformationMode:
        this.mode === 'nearest' ? 'asymmetric' : this.alignCorners ? 'align_corners' : 'half_pixel',
    });
  }
}
