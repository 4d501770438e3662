/**
 * Regression, binary and distribution losses as torch.nn.functional spells them (camelCase), written from
 * primitives. Per-element formulas are in docs/nn-sequence.md; `reduction` is PyTorch's (default 'mean').
 */
import { BuildError } from '../errors';
import {
  abs,
  add,
  countOver,
  div,
  exp,
  greater,
  less,
  log,
  maximum,
  mean,
  mul,
  reduceSum,
  sqrt,
  sub,
  where,
} from '../ops';
import type { Tensor } from '../tensor';
import { softplus } from './activation';
import { allAxes, type Reduction, reduce, sameShape, sumAll } from './reduction';

export interface LossOptions {
  reduction?: Reduction;
}

/** (x − y)². */
export function mseLoss(input: Tensor, target: Tensor, { reduction = 'mean' }: LossOptions = {}): Tensor {
  sameShape('mse_loss', input, target);
  const d = sub(input, target);
  return reduce(mul(d, d), reduction, 'mse_loss');
}

/** |x − y|. */
export function l1Loss(input: Tensor, target: Tensor, { reduction = 'mean' }: LossOptions = {}): Tensor {
  sameShape('l1_loss', input, target);
  return reduce(abs(sub(input, target)), reduction, 'l1_loss');
}

/** 0.5·d²/β if |d| < β else |d| − 0.5·β, with d = x − y (β = 0 is the L1 loss). */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  { reduction = 'mean', beta = 1 }: LossOptions & { beta?: number } = {},
): Tensor {
  sameShape('smooth_l1_loss', input, target);
  if (!(beta >= 0)) throw new BuildError('smooth_l1_loss', input.graph.scope, `beta must be >= 0, got ${beta}`);
  const a = abs(sub(input, target));
  if (beta === 0) return reduce(a, reduction, 'smooth_l1_loss');
  return reduce(where(less(a, beta), div(mul(mul(a, a), 0.5), beta), sub(a, 0.5 * beta)), reduction, 'smooth_l1_loss');
}

/** 0.5·d² if |d| < δ else δ·(|d| − 0.5·δ), with d = x − y. */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  { reduction = 'mean', delta = 1 }: LossOptions & { delta?: number } = {},
): Tensor {
  sameShape('huber_loss', input, target);
  if (!(delta > 0)) throw new BuildError('huber_loss', input.graph.scope, `delta must be > 0, got ${delta}`);
  const a = abs(sub(input, target));
  return reduce(where(less(a, delta), mul(mul(a, a), 0.5), mul(sub(a, 0.5 * delta), delta)), reduction, 'huber_loss');
}

/**
 * −w·(y·log x + (1 − y)·log(1 − x)) on probabilities x, each log clamped at −100 as PyTorch does (so x = 0 or 1
 * gives a finite loss). `weight` broadcasts against the input.
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  { reduction = 'mean', weight = null }: LossOptions & { weight?: Tensor | null } = {},
): Tensor {
  sameShape('binary_cross_entropy', input, target);
  const logX = maximum(log(input), -100);
  const log1mX = maximum(log(sub(1, input)), -100);
  let l = mul(add(mul(target, logX), mul(sub(1, target), log1mX)), -1);
  if (weight) l = mul(l, weight);
  return reduce(l, reduction, 'binary_cross_entropy');
}

/**
 * Binary cross-entropy on logits x, stably: (1 − y)·x + (1 + (p − 1)·y)·softplus(−x), times `weight`;
 * `posWeight` p (broadcast over the last axis, one per class) weighs the positive term.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  {
    reduction = 'mean',
    weight = null,
    posWeight = null,
  }: LossOptions & { weight?: Tensor | null; posWeight?: Tensor | null } = {},
): Tensor {
  sameShape('binary_cross_entropy_with_logits', input, target);
  const spNeg = softplus(mul(input, -1));
  const logWeight = posWeight ? add(mul(sub(posWeight, 1), target), 1) : null;
  let l = add(mul(sub(1, target), input), logWeight ? mul(logWeight, spNeg) : spNeg);
  if (weight) l = mul(l, weight);
  return reduce(l, reduction, 'binary_cross_entropy_with_logits');
}

/**
 * Kullback–Leibler divergence with `input` = log q and `target` = p (or log p with `logTarget`):
 * p·(log p − log q), taking 0·log 0 = 0. `reduction` 'batchmean' divides the sum by the batch size
 * (input.shape[0]), the true KL per sample; 'mean' (the default, as PyTorch) averages over every element.
 */
export function klDiv(
  input: Tensor,
  target: Tensor,
  { reduction = 'mean', logTarget = false }: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {},
): Tensor {
  sameShape('kl_div', input, target);
  // log(where(p > 0, p, 1)): 0 where p = 0, and no 0·(−∞) in the gradient there.
  const l = logTarget
    ? mul(exp(target), sub(target, input))
    : mul(target, sub(log(where(greater(target, 0), target, 1)), input));
  // sum / N as mean(l)·(numel / N): only the non-batch axes are written into the graph, so it holds for any batch.
  if (reduction === 'batchmean')
    return input.rank === 0 ? sumAll(l) : mul(mean(l), countOver(input, allAxes(input).slice(1)));
  return reduce(l, reduction, 'kl_div');
}

/**
 * Cosine similarity along `dim` (default 1): Σ x̂₁·x̂₂ with x̂ = x / max(‖x‖, eps), PyTorch's formulation
 * (inputs broadcast against each other).
 */
export function cosineSimilarity(
  x1: Tensor,
  x2: Tensor,
  { dim = 1, eps = 1e-8 }: { dim?: number; eps?: number } = {},
): Tensor {
  const unit = (x: Tensor) => div(x, maximum(sqrt(reduceSum(mul(x, x), [dim], { keepdims: true })), eps));
  return reduceSum(mul(unit(x1), unit(x2)), [dim]);
}
