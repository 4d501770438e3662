import { mulDims } from '../dim';
import { BuildError } from '../errors';
import { add, batchStandardize, countOver, div, mul, reduceMean, reshape, sqrt, standardize, sub } from '../ops';
import type { Tensor } from '../tensor';
import { range } from './util';

export interface BatchNormArgs {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Use batch statistics (train mode). Default false, as PyTorch's F.batch_norm. */
  training?: boolean;
  /** Accepted for PyTorch's signature; running statistics are not updated here (see `batchNorm`). */
  momentum?: number;
  eps?: number;
}

/** Per-channel statistics of a batch over (N, ...spatial): mean and biased variance, [1, C, 1, ...]. */
export interface BatchStats {
  mean: Tensor;
  variance: Tensor;
  /**
   * Elements per channel (N · spatial size): the unbiased variance is variance · n/(n−1). A number for static
   * dims, else a scalar tensor counted at run time.
   */
  count: number | Tensor;
}

/**
 * Mean and biased variance per channel, each reduced one axis at a time (spatial axes last first, then the
 * batch): one long float32 reduction loses precision (ORT-NOTES.md).
 * NOTE: `count` is N · spatial size (the unbiased correction of the running variance): a number when those dims
 * are static, else counted at run time. BatchNorm itself uses `batchNormTrain` (the same statistics, from the
 * BatchStandardize primitive).
 */
export function batchStats(x: Tensor): BatchStats {
  const staged = (t: Tensor) =>
    [...range(x.rank - 2, 2).reverse(), 0].reduce((m, a) => reduceMean(m, [a], { keepdims: true }), t);
  const mean = staged(x);
  const xc = sub(x, mean);
  return { mean, variance: staged(mul(xc, xc)), count: countOver(x, [0, ...range(x.rank - 2, 2)]) };
}

/**
 * Batch norm in training mode: x normalised with its own batch statistics (the BatchStandardize primitive, whose
 * VJP is closed-form), then the affine map. Returns y and the statistics, for the running-statistics update.
 */
export function batchNormTrain(
  x: Tensor,
  eps: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
): { y: Tensor } & BatchStats {
  const [xn, mean, variance] = batchStandardize(x, { eps });
  let y = weight ? mul(xn, perChannel(weight, x.rank)) : xn;
  if (bias) y = add(y, perChannel(bias, x.rank));
  return { y, mean, variance, count: countOver(x, [0, ...range(x.rank - 2, 2)]) };
}

/** A [C] vector as [C, 1, …] so that it broadcasts over (N, C, ...spatial) of rank `rank` (no batch constant). */
export const perChannel = (v: Tensor, rank: number): Tensor => reshape(v, [v.shape[0], ...new Array(rank - 2).fill(1)]);

function checkChannels(op: string, x: Tensor, what: string, t: Tensor | null | undefined): void {
  if (t && (t.rank !== 1 || t.dims[0] !== x.dims[1])) {
    throw new BuildError(
      op,
      x.graph.scope,
      `${what} ${t.type} does not match the ${x.dims[1]} channels of input ${x.type}`,
    );
  }
}

/** (x − mean)·(weight / √(var + eps)) + bias with per-channel [C, 1, …] or [1, C, 1, …] statistics. */
export function normalize(
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  eps: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
): Tensor {
  let scale = div(1, sqrt(add(variance, eps)));
  if (weight) scale = mul(scale, perChannel(weight, x.rank));
  const y = mul(sub(x, mean), scale);
  return bias ? add(y, perChannel(bias, x.rank)) : y;
}

/**
 * torch.nn.functional.batch_norm on (N, C, ...): batch statistics when `training` (or when no running stats
 * are given), else the running ones. Running statistics are not updated here (graph tensors are immutable):
 * nn.BatchNorm*d outputs their new values (docs/nn.md), from `batchNormTrain`'s statistics.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  a: BatchNormArgs = {},
): Tensor {
  const eps = a.eps ?? 1e-5;
  if (x.rank < 2) throw new BuildError('batch_norm', x.graph.scope, `expects (N, C, ...) input, got ${x.type}`);
  for (const [w, t] of [
    ['running_mean', runningMean],
    ['running_var', runningVar],
    ['weight', a.weight],
    ['bias', a.bias],
  ] as const)
    checkChannels('batch_norm', x, w, t);
  if (a.training || !runningMean || !runningVar) {
    const count = countOver(x, [0, ...range(x.rank - 2, 2)]);
    if (typeof count === 'number' && count <= 1)
      throw new BuildError(
        'batch_norm',
        x.graph.scope,
        `expected more than 1 value per channel when training, got input ${x.type}`,
      );
    return batchNormTrain(x, eps, a.weight, a.bias).y;
  }
  return normalize(x, perChannel(runningMean, x.rank), perChannel(runningVar, x.rank), eps, a.weight, a.bias);
}

export interface InstanceNormArgs {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Default true: per-instance statistics; false uses the running ones (eval with track_running_stats). */
  useInputStats?: boolean;
  eps?: number;
}

/** x as [N, groups, C/groups, first spatial, rest] (Standardize's layout; staged means; batch left free). */
export function groupView(x: Tensor, groups: number): Tensor {
  const [, c, ...sp] = x.dims;
  if (typeof c !== 'number')
    throw new BuildError('group_norm', x.graph.scope, `the channel axis of input ${x.type} must be static`);
  return reshape(x, [-1, groups, c / groups, sp[0] ?? 1, mulDims(...sp.slice(1))]);
}

/** torch.nn.functional.instance_norm on (N, C, ...spatial): the Standardize primitive per (n, c). */
export function instanceNorm(x: Tensor, a: InstanceNormArgs = {}): Tensor {
  const eps = a.eps ?? 1e-5;
  if (x.rank < 3)
    throw new BuildError('instance_norm', x.graph.scope, `expects (N, C, ...spatial) input, got ${x.type}`);
  for (const [w, t] of [
    ['running_mean', a.runningMean],
    ['running_var', a.runningVar],
    ['weight', a.weight],
    ['bias', a.bias],
  ] as const)
    checkChannels('instance_norm', x, w, t);
  if (a.useInputStats === false) {
    if (!a.runningMean || !a.runningVar)
      throw new BuildError('instance_norm', x.graph.scope, 'use_input_stats=False needs running_mean and running_var');
    return normalize(x, perChannel(a.runningMean, x.rank), perChannel(a.runningVar, x.rank), eps, a.weight, a.bias);
  }
  const spatial = mulDims(...x.dims.slice(2));
  if (typeof spatial === 'number' && spatial <= 1) {
    throw new BuildError(
      'instance_norm',
      x.graph.scope,
      `expected more than 1 spatial element when training, got input ${x.type}`,
    );
  }
  if (typeof x.dims[1] !== 'number')
    throw new BuildError('instance_norm', x.graph.scope, `the channel axis of input ${x.type} must be static`);
  const [xn] = standardize(groupView(x, x.dims[1]), { eps });
  let y = reshape(xn, [-1, ...x.dims.slice(1)]);
  if (a.weight) y = mul(y, perChannel(a.weight, x.rank));
  return a.bias ? add(y, perChannel(a.bias, x.rank)) : y;
}

export interface GroupNormArgs {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/** torch.nn.functional.group_norm on (N, C, ...): the Standardize primitive on C split into `numGroups`. */
export function groupNorm(x: Tensor, numGroups: number, a: GroupNormArgs = {}): Tensor {
  const c = x.dims[1];
  if (x.rank < 2 || typeof c !== 'number' || c % numGroups) {
    throw new BuildError(
      'group_norm',
      x.graph.scope,
      `input ${x.type} has ${c ?? 0} channels, which do not split into ${numGroups} groups${typeof c === 'string' ? ' (the channel axis must be static)' : ''}`,
    );
  }
  for (const [w, t] of [
    ['weight', a.weight],
    ['bias', a.bias],
  ] as const)
    checkChannels('group_norm', x, w, t);
  const [xn] = standardize(groupView(x, numGroups), { eps: a.eps ?? 1e-5 });
  let y = reshape(xn, [-1, ...x.dims.slice(1)]);
  if (a.weight) y = mul(y, perChannel(a.weight, x.rank));
  return a.bias ? add(y, perChannel(a.bias, x.rank)) : y;
}
