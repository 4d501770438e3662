import { BuildError } from '../errors';
import { instanceNorm } from '../functional/normalization';
import { countOver, mul, reduceMean, reshape, sub } from '../ops';
import type { Tensor } from '../tensor';
import { type BatchNormOptions, unbiasedFactor, updateRunning } from './batchnorm';
import { ones, zeros } from './init';
import { Module } from './module';

const int64Zero = (_: unknown, shape: readonly number[]) => new BigInt64Array(shape.reduce((a, b) => a * b, 1));

/**
 * torch.nn.InstanceNorm1d/2d/3d(num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False).
 * Per-(n, c) statistics (the Standardize primitive). With track_running_stats: train mode updates running_mean
 * and running_var with the batch average of the instance statistics (unbiased variance, as PyTorch), and eval
 * mode uses them. As in PyTorch 1.13, num_batches_tracked is a buffer but is never incremented.
 */
abstract class InstanceNormNd extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  constructor(
    readonly dims: number,
    readonly numFeatures: number,
    o: BatchNormOptions = {},
  ) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    if (this.momentum === null)
      throw new Error(
        `InstanceNorm${dims}d: momentum=None (a cumulative average) is not supported; PyTorch's instance norm has no batch count for it`,
      );
    this.affine = o.affine ?? false;
    this.trackRunningStats = o.trackRunningStats ?? false;
    if (this.affine) {
      this.addParam('weight', [numFeatures], ones);
      this.addParam('bias', [numFeatures], zeros);
    }
    if (this.trackRunningStats) {
      this.addBuffer('running_mean', [numFeatures], zeros);
      this.addBuffer('running_var', [numFeatures], ones);
      this.addBuffer('num_batches_tracked', [], int64Zero, 'int64');
    }
  }

  forward(x: Tensor): Tensor {
    const label = `InstanceNorm${this.dims}d`;
    if (x.rank !== this.dims + 2 || x.dims[1] !== this.numFeatures) {
      throw new BuildError(
        label,
        this.path,
        `${label}(${this.numFeatures}) expects input (N, ${this.numFeatures}, ${['L', 'H, W', 'D, H, W'][this.dims - 1]}), got ${x.type}`,
      );
    }
    const g = x.graph;
    const weight = this.affine ? this.param(g, 'weight') : null;
    const bias = this.affine ? this.param(g, 'bias') : null;
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
      const c = this.numFeatures;
      // Declared in state_dict order, so that graph inputs and TrainStep.buffers list them that way.
      for (const b of ['running_mean', 'running_var', 'num_batches_tracked']) this.buf(g, b);
      updateRunning(
        this,
        g,
        { mean: reshape(reduceMean(mean, [0]), [c]), unbiasedVar: reshape(reduceMean(unbiased, [0]), [c]) },
        (name, t) => this.setBuf(g, name, t),
        (name) => this.buf(g, name),
        false,
      );
    }
    return instanceNorm(x, { weight, bias, eps: this.eps });
  }
}

/** torch.nn.InstanceNorm1d on (N, C, L). */
export class InstanceNorm1d extends InstanceNormNd {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super(1, numFeatures, o);
  }
}
/** torch.nn.InstanceNorm2d on (N, C, H, W). */
export class InstanceNorm2d extends InstanceNormNd {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super(2, numFeatures, o);
  }
}
/** torch.nn.InstanceNorm3d on (N, C, D, H, W). */
export class InstanceNorm3d extends InstanceNormNd {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super(3, numFeatures, o);
  }
}
