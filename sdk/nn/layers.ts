import { scaleDim } from '../dim';
import { leakyRelu, maxPool, resize } from '../ops';
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

/** torch.nn.MaxPool3d(k) with stride k (the U-Net's down-sampling). */
export class MaxPool3d extends Module {
  constructor(readonly kernel = 2) {
    super();
  }
  forward(x: Tensor): Tensor {
    const k = this.kernel;
    return maxPool(x, { kernel: [k, k, k], strides: [k, k, k] });
  }
}

/**
 * torch.nn.Upsample(scale_factor, mode='trilinear' | 'nearest', align_corners) on (B, C, D, H, W).
 * NOTE: PyTorch's align_corners=False is ONNX's `half_pixel`; align_corners=True is ONNX's `align_corners`.
 */
export class Upsample extends Module {
  constructor(readonly scale = 2, readonly mode: 'trilinear' | 'nearest' = 'trilinear', readonly alignCorners = false) {
    super();
  }
  forward(x: Tensor): Tensor {
    const [n, c, ...sp] = x.dims;
    return resize(x, {
      sizes: [n, c, ...sp.map((s) => scaleDim(s, this.scale))],
      mode: this.mode === 'nearest' ? 'nearest' : 'linear',
      coordinateTransformationMode: this.mode === 'nearest' ? 'asymmetric' : this.alignCorners ? 'align_corners' : 'half_pixel',
    });
  }
}
