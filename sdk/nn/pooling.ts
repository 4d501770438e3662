import * as F from '../functional/pooling';
import type { Tensor } from '../tensor';
import { NdModule } from './nd';

// NOTE: the size types are written out (not aliased) so that the API reference shows them in each signature.
/** A max or average pool: its `F` function for 1, 2 and 3 spatial axes, called with the kernel and options. */
abstract class PoolNd<O> extends NdModule {
  protected abstract readonly fns: readonly ((x: Tensor, kernelSize: number | readonly number[], opts: O) => Tensor)[];
  /** The options as given (PyTorch's defaults where absent). */
  readonly opts: O;
  constructor(
    readonly kernelSize: number | readonly number[],
    opts?: O,
  ) {
    super();
    this.opts = opts ?? ({} as O);
  }
  forward(x: Tensor): Tensor {
    return this.fns[this.dims - 1](x, this.kernelSize, this.opts);
  }
}

/** torch.nn.MaxPoolNd(kernel_size, stride=None (= kernel), padding=0, dilation=1, ceil_mode=False); no indices. */
abstract class MaxPoolNd extends PoolNd<F.MaxPoolArgs> {
  protected readonly fns = [F.maxPool1d, F.maxPool2d, F.maxPool3d];
}
/** torch.nn.MaxPool1d. Trainable for overlapping, padded and dilated windows. */
export class MaxPool1d extends MaxPoolNd {
  static override readonly dims = 1;
}
/** torch.nn.MaxPool2d (a ResNet stem: `new nn.MaxPool2d(3, { stride: 2, padding: 1 })`). */
export class MaxPool2d extends MaxPoolNd {
  static override readonly dims = 2;
}
/** torch.nn.MaxPool3d (default kernel 2 kept for GVSL's U-Net: `new nn.MaxPool3d()` is MaxPool3d(2)). */
export class MaxPool3d extends MaxPoolNd {
  static override readonly dims = 3;
  constructor(kernelSize: number | readonly number[] = 2, opts: F.MaxPoolArgs = {}) {
    super(kernelSize, opts);
  }
}

/** torch.nn.AvgPoolNd(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True). */
abstract class AvgPoolNd extends PoolNd<F.AvgPoolArgs> {
  protected readonly fns = [F.avgPool1d, F.avgPool2d, F.avgPool3d];
}
/** torch.nn.AvgPool1d. */
export class AvgPool1d extends AvgPoolNd {
  static override readonly dims = 1;
}
/** torch.nn.AvgPool2d. */
export class AvgPool2d extends AvgPoolNd {
  static override readonly dims = 2;
}
/** torch.nn.AvgPool3d. */
export class AvgPool3d extends AvgPoolNd {
  static override readonly dims = 3;
}

/** torch.nn.AdaptiveAvgPoolNd / AdaptiveMaxPoolNd(output_size): its `F` function for 1, 2 and 3 spatial axes. */
abstract class AdaptiveNd extends NdModule {
  protected abstract readonly fns: readonly ((x: Tensor, outputSize: number | readonly (number | null)[]) => Tensor)[];
  constructor(readonly outputSize: number | readonly (number | null)[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.fns[this.dims - 1](x, this.outputSize);
  }
}
abstract class AdaptiveAvgPoolNd extends AdaptiveNd {
  protected readonly fns = [F.adaptiveAvgPool1d, F.adaptiveAvgPool2d, F.adaptiveAvgPool3d];
}
abstract class AdaptiveMaxPoolNd extends AdaptiveNd {
  protected readonly fns = [F.adaptiveMaxPool1d, F.adaptiveMaxPool2d, F.adaptiveMaxPool3d];
}
/** torch.nn.AdaptiveAvgPool1d(output_size). */
export class AdaptiveAvgPool1d extends AdaptiveAvgPoolNd {
  static override readonly dims = 1;
}
/** torch.nn.AdaptiveAvgPool2d(output_size) (a classifier head: `new nn.AdaptiveAvgPool2d(1)`). */
export class AdaptiveAvgPool2d extends AdaptiveAvgPoolNd {
  static override readonly dims = 2;
}
/** torch.nn.AdaptiveAvgPool3d(output_size). */
export class AdaptiveAvgPool3d extends AdaptiveAvgPoolNd {
  static override readonly dims = 3;
}
/** torch.nn.AdaptiveMaxPool1d(output_size) (no indices). */
export class AdaptiveMaxPool1d extends AdaptiveMaxPoolNd {
  static override readonly dims = 1;
}
/** torch.nn.AdaptiveMaxPool2d(output_size) (no indices). */
export class AdaptiveMaxPool2d extends AdaptiveMaxPoolNd {
  static override readonly dims = 2;
}
/** torch.nn.AdaptiveMaxPool3d(output_size) (no indices). */
export class AdaptiveMaxPool3d extends AdaptiveMaxPoolNd {
  static override readonly dims = 3;
}
