import { BuildError } from '../errors';
import { batchNorm, batchStats, normalize } from '../functional/normalization';
import { add, cast, div, mul, reshape, sub } from '../ops';
import type { Tensor } from '../tensor';
import type { Graph } from '../graph';
import { ones, zeros } from './init';
import { Module } from './module';

export interface BatchNormOptions {
  eps?: number;
  /** Default 0.1; null is a cumulative moving average (factor 1/num_batches_tracked). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

const int64Zero = (_: unknown, shape: readonly number[]) => new BigInt64Array(shape.reduce((a, b) => a * b, 1));

/**
 * The running-statistics update of PyTorch's batch norm: num_batches_tracked + 1, then r ← (1 − f)·r + f·s
 * with f = momentum, or 1/num_batches_tracked when momentum is null. PyTorch's instance norm (`countBatches`
 * false) leaves num_batches_tracked alone and always uses its momentum.
 */
export function updateRunning(
  m: Module & { momentum: number | null },
  g: Graph,
  stats: { mean: Tensor; unbiasedVar: Tensor },
  set: (name: string, t: Tensor) => void,
  get: (name: string) => Tensor,
  countBatches = true,
): void {
  let f: number | Tensor = m.momentum ?? 0.1;
  if (countBatches) {
    const n = add(get('num_batches_tracked'), g.scalar(1, 'int64'));
    set('num_batches_tracked', n);
    if (m.momentum === null) f = div(1, cast(n, 'float32'));
  }
  const blend = (name: string, s: Tensor) =>
    set(name, add(mul(get(name), typeof f === 'number' ? 1 - f : add(mul(f, -1), 1)), mul(s, f)));
  blend('running_mean', stats.mean);
  blend('running_var', stats.unbiasedVar);
}

/**
 * torch.nn.BatchNorm1d/2d/3d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True).
 * Parameters weight (ones), bias (zeros); buffers running_mean (zeros), running_var (ones),
 * num_batches_tracked (int64 0). Train mode: batch statistics, and the new running statistics (unbiased
 * variance, as PyTorch) recorded as buffer updates, i.e. outputs `new.<key>` of a training step (docs/nn.md).
 * Eval mode: the running statistics (batch statistics when they are not tracked).
 */
abstract class BatchNormNd extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  constructor(
    readonly ranks: number[],
    readonly numFeatures: number,
    o: BatchNormOptions = {},
  ) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    this.affine = o.affine ?? true;
    this.trackRunningStats = o.trackRunningStats ?? true;
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

  protected abstract get label(): string;

  forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.rank) || x.dims[1] !== this.numFeatures) {
      const want = this.ranks
        .map((r) => (r === 2 ? '(N, C)' : r === 3 ? '(N, C, L)' : r === 4 ? '(N, C, H, W)' : '(N, C, D, H, W)'))
        .join(' or ');
      throw new BuildError(
        this.label,
        this.path,
        `${this.label}(${this.numFeatures}) expects input ${want} with C = ${this.numFeatures}, got ${x.type}`,
      );
    }
    const g = x.graph;
    const weight = this.affine ? this.param(g, 'weight') : null;
    const bias = this.affine ? this.param(g, 'bias') : null;
    const useBatch = this.training || !this.trackRunningStats;
    if (!useBatch) {
      return batchNorm(x, this.buf(g, 'running_mean'), this.buf(g, 'running_var'), { weight, bias, eps: this.eps });
    }
    const st = batchStats(x);
    if (typeof st.count === 'number' && st.count <= 1)
      throw new BuildError(
        this.label,
        this.path,
        `expected more than 1 value per channel when training, got input ${x.type}`,
      );
    if (this.training && this.trackRunningStats) {
      const c = this.numFeatures;
      // Declared in state_dict order, so that graph inputs and TrainStep.buffers list them that way.
      for (const b of ['running_mean', 'running_var', 'num_batches_tracked']) this.buf(g, b);
      updateRunning(
        this,
        g,
        { mean: reshape(st.mean, [c]), unbiasedVar: reshape(mul(st.variance, unbiasedFactor(st.count)), [c]) },
        (name, t) => this.setBuf(g, name, t),
        (name) => this.buf(g, name),
      );
    }
    return normalize(x, st.mean, st.variance, this.eps, weight, bias);
  }
}

/** torch.nn.BatchNorm1d on (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super([2, 3], numFeatures, o);
  }
  protected get label(): string {
    return 'BatchNorm1d';
  }
}

/** torch.nn.BatchNorm2d on (N, C, H, W). */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super([4], numFeatures, o);
  }
  protected get label(): string {
    return 'BatchNorm2d';
  }
}

/** torch.nn.BatchNorm3d on (N, C, D, H, W). */
export class BatchNorm3d extends BatchNormNd {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super([5], numFeatures, o);
  }
  protected get label(): string {
    return 'BatchNorm3d';
  }
}

/** n/(n−1), the unbiased correction of a variance over n elements (a tensor when n is counted at run time). */
export function unbiasedFactor(n: number | Tensor): number | Tensor {
  return typeof n === 'number' ? n / (n - 1) : div(n, sub(n, 1));
}
