import { BuildError } from '../errors';
import { batchNorm, batchNormTrain } from '../functional/normalization';
import type { Graph } from '../graph';
import { add, cast, countOver, div, mul, reshape, sub } from '../ops';
import type { Tensor } from '../tensor';
import { ones, zeros } from './init';
import { NdModule, spatialAxes } from './nd';

export interface BatchNormOptions {
  eps?: number;
  /** Default 0.1; null is a cumulative moving average (factor 1/num_batches_tracked). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

const int64Zero = (_: unknown, shape: readonly number[]) => new BigInt64Array(shape.reduce((a, b) => a * b, 1));

/**
 * What BatchNorm and InstanceNorm share: their options, the affine parameters weight (ones) and bias (zeros),
 * and the buffers running_mean (zeros), running_var (ones) and num_batches_tracked (int64 0) with PyTorch's
 * update of them. `affine` and `trackRunningStats` default to `defaultOn` (true for BatchNorm, false for
 * InstanceNorm).
 */
export abstract class RunningStatsNorm extends NdModule {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  constructor(
    readonly numFeatures: number,
    o: BatchNormOptions,
    defaultOn: boolean,
  ) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    this.affine = o.affine ?? defaultOn;
    this.trackRunningStats = o.trackRunningStats ?? defaultOn;
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

  /** 'BatchNorm2d', 'InstanceNorm3d', …: the name in build errors. */
  protected abstract get label(): string;

  /** A build error naming this module when `ok` is false: `BatchNorm2d(16) expects input <want>, got …`. */
  protected expectInput(x: Tensor, ok: boolean, want: string): void {
    if (!ok)
      throw new BuildError(
        this.label,
        this.path,
        `${this.label}(${this.numFeatures}) expects input ${want}, got ${x.type}`,
      );
  }

  /** The affine weight and bias, or nulls without `affine`. */
  protected affineParams(g: Graph): { weight: Tensor | null; bias: Tensor | null } {
    return this.affine
      ? { weight: this.param(g, 'weight'), bias: this.param(g, 'bias') }
      : { weight: null, bias: null };
  }

  /**
   * The running-statistics update of PyTorch's batch norm: num_batches_tracked + 1, then r ← (1 − f)·r + f·s
   * with f = momentum, or 1/num_batches_tracked when momentum is null; recorded as buffer updates (outputs
   * `new.<key>` of a training step). PyTorch's instance norm (`countBatches` false) leaves
   * num_batches_tracked alone and always uses its momentum. `stats` gives the batch's [C] mean and unbiased
   * variance; it is called after the buffers are declared.
   */
  protected updateRunningStats(
    g: Graph,
    stats: () => { mean: Tensor; unbiasedVar: Tensor },
    countBatches: boolean,
  ): void {
    // Declared in state_dict order, so that graph inputs and TrainStep.buffers list them that way.
    const [rm, rv, nbt] = ['running_mean', 'running_var', 'num_batches_tracked'].map((b) => this.buf(g, b));
    const { mean, unbiasedVar } = stats();
    let f: number | Tensor = this.momentum ?? 0.1;
    if (countBatches) {
      // int32 in `buildTraining`'s graphs (Graph.int64BuffersAsInt32), int64 otherwise.
      const n = add(nbt, g.scalar(1, nbt.dtype));
      this.setBuf(g, 'num_batches_tracked', n);
      if (this.momentum === null) f = div(1, cast(n, 'float32'));
    }
    const blend = (r: Tensor, s: Tensor) => add(mul(r, typeof f === 'number' ? 1 - f : add(mul(f, -1), 1)), mul(s, f));
    this.setBuf(g, 'running_mean', blend(rm, mean));
    this.setBuf(g, 'running_var', blend(rv, unbiasedVar));
  }
}

/**
 * torch.nn.BatchNorm1d/2d/3d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True).
 * Parameters weight (ones), bias (zeros); buffers running_mean (zeros), running_var (ones),
 * num_batches_tracked (int64 0). Train mode: batch statistics, and the new running statistics (unbiased
 * variance, as PyTorch) recorded as buffer updates, i.e. outputs `new.<key>` of a training step (docs/nn.md).
 * Eval mode: the running statistics (batch statistics when they are not tracked).
 */
abstract class BatchNormNd extends RunningStatsNorm {
  /** The input ranks accepted: (N, C) or (N, C, L) for BatchNorm1d, else (N, C, …spatial). */
  readonly ranks = this.dims === 1 ? [2, 3] : [this.dims + 2];
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super(numFeatures, o, true);
  }

  protected get label(): string {
    return `BatchNorm${this.dims}d`;
  }

  forward(x: Tensor): Tensor {
    const layout = (r: number) => (r === 2 ? '(N, C)' : `(N, C, ${spatialAxes(r - 2)})`);
    this.expectInput(
      x,
      this.ranks.includes(x.rank) && x.dims[1] === this.numFeatures,
      `${this.ranks.map(layout).join(' or ')} with C = ${this.numFeatures}`,
    );
    const g = x.graph;
    const { weight, bias } = this.affineParams(g);
    const useBatch = this.training || !this.trackRunningStats;
    if (!useBatch) {
      return batchNorm(x, this.buf(g, 'running_mean'), this.buf(g, 'running_var'), { weight, bias, eps: this.eps });
    }
    const count = countOver(x, [0, ...x.dims.slice(2).map((_, i) => i + 2)]);
    if (typeof count === 'number' && count <= 1)
      throw new BuildError(
        this.label,
        this.path,
        `expected more than 1 value per channel when training, got input ${x.type}`,
      );
    const st = batchNormTrain(x, this.eps, weight, bias);
    if (this.training && this.trackRunningStats) {
      const c = this.numFeatures;
      this.updateRunningStats(
        g,
        () => ({ mean: reshape(st.mean, [c]), unbiasedVar: reshape(mul(st.variance, unbiasedFactor(st.count)), [c]) }),
        true,
      );
    }
    return st.y;
  }
}

/** torch.nn.BatchNorm1d on (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNormNd {
  static override readonly dims = 1;
}

/** torch.nn.BatchNorm2d on (N, C, H, W). */
export class BatchNorm2d extends BatchNormNd {
  static override readonly dims = 2;
}

/** torch.nn.BatchNorm3d on (N, C, D, H, W). */
export class BatchNorm3d extends BatchNormNd {
  static override readonly dims = 3;
}

/** n/(n−1), the unbiased correction of a variance over n elements (a tensor when n is counted at run time). */
export function unbiasedFactor(n: number | Tensor): number | Tensor {
  return typeof n === 'number' ? n / (n - 1) : div(n, sub(n, 1));
}
