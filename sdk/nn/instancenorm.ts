import { instanceNorm } from '../functional/normalization';
import { countOver, mul, reduceMean, reshape, sub } from '../ops';
import type { Tensor } from '../tensor';
import { type BatchNormOptions, RunningStatsNorm, unbiasedFactor } from './batchnorm';
import { spatialAxes } from './nd';

/**
 * torch.nn.InstanceNorm1d/2d/3d(num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False).
 * Per-(n, c) statistics (the Standardize primitive). With track_running_stats: train mode updates running_mean
 * and running_var with the batch average of the instance statistics (unbiased variance, as PyTorch), and eval
 * mode uses them. As in PyTorch 1.13, num_batches_tracked is a buffer but is never incremented.
 */
abstract class InstanceNormNd extends RunningStatsNorm {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super(numFeatures, o, false);
    if (this.momentum === null)
      throw new Error(
        `InstanceNorm${this.dims}d: momentum=None (a cumulative average) is not supported; PyTorch's instance norm has no batch count for it`,
      );
  }

  protected get label(): string {
    return `InstanceNorm${this.dims}d`;
  }

  forward(x: Tensor): Tensor {
    const c = this.numFeatures;
    this.expectInput(x, x.rank === this.dims + 2 && x.dims[1] === c, `(N, ${c}, ${spatialAxes(this.dims)})`);
    const g = x.graph;
    const { weight, bias } = this.affineParams(g);
    if (this.trackRunningStats && !this.training) {
      return instanceNorm(x, {
        runningMean: this.buf(g, 'running_mean'),
        runningVar: this.buf(g, 'running_var'),
        weight,
        bias,
        useInputStats: false,
        eps: this.eps,
      });
    }
    if (this.trackRunningStats) {
      const axes = x.dims
        .map((_, i) => i)
        .slice(2)
        .reverse();
      const staged = (t: Tensor) => axes.reduce((m, a) => reduceMean(m, [a], { keepdims: true }), t);
      const mean = staged(x);
      const xc = sub(x, mean);
      const unbiased = mul(staged(mul(xc, xc)), unbiasedFactor(countOver(x, axes)));
      this.updateRunningStats(
        g,
        () => ({ mean: reshape(reduceMean(mean, [0]), [c]), unbiasedVar: reshape(reduceMean(unbiased, [0]), [c]) }),
        false,
      );
    }
    return instanceNorm(x, { weight, bias, eps: this.eps });
  }
}

/** torch.nn.InstanceNorm1d on (N, C, L). */
export class InstanceNorm1d extends InstanceNormNd {
  static override readonly dims = 1;
}
/** torch.nn.InstanceNorm2d on (N, C, H, W). */
export class InstanceNorm2d extends InstanceNormNd {
  static override readonly dims = 2;
}
/** torch.nn.InstanceNorm3d on (N, C, D, H, W). */
export class InstanceNorm3d extends InstanceNormNd {
  static override readonly dims = 3;
}
