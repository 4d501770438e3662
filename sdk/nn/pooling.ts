import * as F from '../functional/pooling';
import type { Tensor } from '../tensor';
import { Module } from './module';

type Size = number | readonly number[];

/** torch.nn.MaxPoolNd(kernel_size, stride=None (= kernel), padding=0, dilation=1, ceil_mode=False); no indices. */
abstract class MaxPoolNd extends Module {
  constructor(
    readonly kernelSize: Size,
    readonly opts: F.MaxPoolArgs = {},
  ) {
    super();
  }
}
/** torch.nn.MaxPool1d. Trainable for overlapping, padded and dilated windows. */
export class MaxPool1d extends MaxPoolNd {
  forward(x: Tensor): Tensor {
    return F.maxPool1d(x, this.kernelSize, this.opts);
  }
}
/** torch.nn.MaxPool2d (a ResNet stem: `new nn.MaxPool2d(3, { stride: 2, padding: 1 })`). */
export class MaxPool2d extends MaxPoolNd {
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.opts);
  }
}
/** torch.nn.MaxPool3d (default kernel 2 kept for GVSL's U-Net: `new nn.MaxPool3d()` is MaxPool3d(2)). */
export class MaxPool3d extends MaxPoolNd {
  constructor(kernelSize: Size = 2, opts: F.MaxPoolArgs = {}) {
    super(kernelSize, opts);
  }
  forward(x: Tensor): Tensor {
    return F.maxPool3d(x, this.kernelSize, this.opts);
  }
}

/** torch.nn.AvgPoolNd(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True). */
abstract class AvgPoolNd extends Module {
  constructor(
    readonly kernelSize: Size,
    readonly opts: F.AvgPoolArgs = {},
  ) {
    super();
  }
}
/** torch.nn.AvgPool1d. */
export class AvgPool1d extends AvgPoolNd {
  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, this.opts);
  }
}
/** torch.nn.AvgPool2d. */
export class AvgPool2d extends AvgPoolNd {
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.opts);
  }
}
/** torch.nn.AvgPool3d. */
export class AvgPool3d extends AvgPoolNd {
  forward(x: Tensor): Tensor {
    return F.avgPool3d(x, this.kernelSize, this.opts);
  }
}

type OutSize = number | readonly (number | null)[];
abstract class AdaptiveNd extends Module {
  constructor(readonly outputSize: OutSize) {
    super();
  }
}
/** torch.nn.AdaptiveAvgPool1d(output_size). */
export class AdaptiveAvgPool1d extends AdaptiveNd {
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool1d(x, this.outputSize);
  }
}
/** torch.nn.AdaptiveAvgPool2d(output_size) (a classifier head: `new nn.AdaptiveAvgPool2d(1)`). */
export class AdaptiveAvgPool2d extends AdaptiveNd {
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}
/** torch.nn.AdaptiveAvgPool3d(output_size). */
export class AdaptiveAvgPool3d extends AdaptiveNd {
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool3d(x, this.outputSize);
  }
}
/** torch.nn.AdaptiveMaxPool1d(output_size) (no indices). */
export class AdaptiveMaxPool1d extends AdaptiveNd {
  forward(x: Tensor): Tensor {
    return F.adaptiveMaxPool1d(x, this.outputSize);
  }
}
/** torch.nn.AdaptiveMaxPool2d(output_size) (no indices). */
export class AdaptiveMaxPool2d extends AdaptiveNd {
  forward(x: Tensor): Tensor {
    return F.adaptiveMaxPool2d(x, this.outputSize);
  }
}
/** torch.nn.AdaptiveMaxPool3d(output_size) (no indices). */
export class AdaptiveMaxPool3d extends AdaptiveNd {
  forward(x: Tensor): Tensor {
    return F.adaptiveMaxPool3d(x, this.outputSize);
  }
}
