/**
 * Class losses on (C), (N, C) or (N, C, d1, …) inputs, as torch.nn.functional: cross_entropy, nll_loss and a
 * multi-class soft Dice. Class targets are integer tensors (int64/int32) of the input's shape without the class
 * axis; cross_entropy also takes class probabilities of the input's own shape (a float tensor).
 */
import { BuildError } from '../errors';
import { add, cast, div, equal, logicalNot, mean, mul, reduceSum, reshape, sub, unsqueeze } from '../ops';
import type { Tensor } from '../tensor';
import { logSoftmax } from './activation';
import { type Reduction, reduce, sumAll } from './reduction';

export interface ClassLossOptions {
  /** Per-class weights, shape [C]. */
  weight?: Tensor | null;
  /** Targets equal to this class index contribute nothing (neither to the sum nor to the mean's weights). */
  ignoreIndex?: number;
  reduction?: Reduction;
}

const isIndex = (t: Tensor) => t.dtype === 'int64' || t.dtype === 'int32';

/** The class axis: 0 for a (C) input, else 1. */
const classDim = (x: Tensor) => (x.rank === 1 ? 0 : 1);

/** Shape [1, …, C, …, 1] with C on the class axis: a [C] vector broadcast along the class axis of `x`. */
function alongClasses(x: Tensor, v: Tensor): Tensor {
  return reshape(
    v,
    x.dims.map((_, i) => (i === classDim(x) ? numClasses('', x) : 1)),
  );
}

/** The number of classes: the class axis must be static (the batch and spatial axes may be symbolic). */
function numClasses(op: string, x: Tensor): number {
  const c = x.dims[classDim(x)];
  if (typeof c !== 'number')
    throw new BuildError(
      op || 'class loss',
      x.graph.scope,
      `the class axis ${classDim(x)} of input ${x.type} must be static (only the batch and spatial axes may be symbolic)`,
    );
  return c;
}

function checkIndexTarget(op: string, input: Tensor, target: Tensor): void {
  const want = input.dims.filter((_, i) => i !== classDim(input));
  if (!isIndex(target) || target.dims.join() !== want.join()) {
    throw new BuildError(
      op,
      input.graph.scope,
      `input of shape [${input.dims.join(', ')}] (classes on axis ${classDim(input)}) needs class indices (int64) of shape [${want.join(', ')}], got ${target.type}`,
    );
  }
}

function checkWeight(op: string, input: Tensor, weight: Tensor | null): void {
  const c = numClasses(op, input);
  if (weight && (weight.rank !== 1 || weight.shape[0] !== c)) {
    throw new BuildError(op, input.graph.scope, `weight must have shape [${c}] (one per class), got ${weight.type}`);
  }
}

/** One-hot float encoding of integer class indices, classes on the class axis of an input shaped like `like`. */
function oneHotLike(target: Tensor, like: Tensor): Tensor {
  const cd = classDim(like);
  const c = numClasses('', like);
  const ids = target.graph.constant(
    Array.from({ length: c }, (_, i) => i),
    target.dtype,
    like.dims.map((_, i) => (i === cd ? c : 1)),
  );
  return cast(equal(unsqueeze(target, [cd]), ids), like.dtype);
}

/**
 * The class-index losses shared by nll_loss and cross_entropy: per element −w[y]·logp[y] (0 where
 * y = ignoreIndex); 'mean' divides by Σ w[y] over the kept elements. Label smoothing ε mixes in
 * −Σ_c w_c·logp_c / C with PyTorch's normalisation: (1 − ε)·nll + ε/C·smooth.
 */
function indexLoss(
  op: string,
  logp: Tensor,
  target: Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
  reduction: Reduction,
  eps: number,
): Tensor {
  const cd = classDim(logp);
  const c = numClasses(op, logp);
  const oneHot = oneHotLike(target, logp);
  const keep = cast(logicalNot(equal(target, target.graph.scalar(ignoreIndex, target.dtype))), logp.dtype);
  const wl = weight ? mul(logp, alongClasses(logp, weight)) : logp;
  const nll = mul(mul(reduceSum(mul(oneHot, wl), [cd]), -1), keep);
  const smooth = eps > 0 ? mul(mul(reduceSum(wl, [cd]), -1), keep) : null;
  const combine = (a: Tensor, b: Tensor | null) => (b ? add(mul(a, 1 - eps), mul(b, eps / c)) : a);
  if (reduction === 'none') return combine(nll, smooth);
  if (reduction === 'sum') return combine(sumAll(nll), smooth && sumAll(smooth));
  if (reduction !== 'mean') return reduce(nll, reduction, op);
  const total = weight ? sumAll(mul(reduceSum(mul(oneHot, alongClasses(logp, weight)), [cd]), keep)) : sumAll(keep);
  return combine(div(sumAll(nll), total), smooth && div(sumAll(smooth), total));
}

/** Negative log-likelihood of log-probabilities `input` (C), (N, C) or (N, C, d1, …) at class indices `target`. */
export function nllLoss(
  input: Tensor,
  target: Tensor,
  { weight = null, ignoreIndex = -100, reduction = 'mean' }: ClassLossOptions = {},
): Tensor {
  checkIndexTarget('nll_loss', input, target);
  checkWeight('nll_loss', input, weight);
  return indexLoss('nll_loss', input, target, weight, ignoreIndex, reduction, 0);
}

/**
 * Cross-entropy of logits `input` (C), (N, C) or (N, C, d1, …) against class indices (int64 or int32, shape
 * without the class axis; int32 keeps the loss on WebGPU, which reads no int64: docs/gpus.md) or class
 * probabilities (float, the input's shape). With probabilities, the loss per element is
 * −Σ_c w_c·p_c·logsoftmax(x)_c (p smoothed to (1 − ε)·p + ε/C) and 'mean' averages over the elements (not over
 * the weights), as PyTorch.
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  {
    weight = null,
    ignoreIndex,
    reduction = 'mean',
    labelSmoothing = 0,
  }: ClassLossOptions & { labelSmoothing?: number } = {},
): Tensor {
  const g = input.graph;
  checkWeight('cross_entropy', input, weight);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
    throw new BuildError('cross_entropy', g.scope, `label_smoothing must be in [0, 1], got ${labelSmoothing}`);
  const cd = classDim(input);
  const logp = logSoftmax(input, cd);
  if (isIndex(target)) {
    checkIndexTarget('cross_entropy', input, target);
    return indexLoss('cross_entropy', logp, target, weight, ignoreIndex ?? -100, reduction, labelSmoothing);
  }
  if (target.dims.join() !== input.dims.join() || target.dtype !== input.dtype) {
    throw new BuildError(
      'cross_entropy',
      g.scope,
      `input of shape [${input.dims.join(', ')}] needs class indices (int64, shape [${input.dims.filter((_, i) => i !== cd).join(', ')}]) or class probabilities (${input.dtype}, shape [${input.dims.join(', ')}]), got ${target.type}`,
    );
  }
  if (ignoreIndex !== undefined)
    throw new BuildError(
      'cross_entropy',
      g.scope,
      'ignore_index applies to class-index targets only, not to class probabilities',
    );
  const c = numClasses('cross_entropy', input);
  const p = labelSmoothing > 0 ? add(mul(target, 1 - labelSmoothing), labelSmoothing / c) : target;
  const wl = weight ? mul(logp, alongClasses(input, weight)) : logp;
  return reduce(mul(reduceSum(mul(p, wl), [cd]), -1), reduction, 'cross_entropy');
}

/**
 * torch.nn.functional.one_hot: integer class indices (…) → int64 (…, numClasses), 1 at each index. Indices
 * outside [0, numClasses) give a row of zeros (PyTorch raises at run time; a graph cannot).
 */
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  const g = indices.graph;
  if (!isIndex(indices))
    throw new BuildError('one_hot', g.scope, `needs integer class indices (int64), got ${indices.type}`);
  if (!(Number.isInteger(numClasses) && numClasses > 0)) {
    throw new BuildError(
      'one_hot',
      g.scope,
      `num_classes must be a positive integer (it cannot be inferred from the data at build time), got ${numClasses}`,
    );
  }
  const ids = g.constant(
    Array.from({ length: numClasses }, (_, i) => i),
    indices.dtype,
    [numClasses],
  );
  return cast(equal(unsqueeze(indices, [-1]), ids), 'int64');
}

/**
 * Multi-class soft Dice loss on probabilities `input` (N, C, d1, …) (e.g. a softmax over axis 1) and a target of
 * one-hot floats of the same shape or class indices (int64, (N, d1, …)). For every sample n and class c
 * (background included): dice = (2·Σ p·g + s) / (Σ g² + Σ p² + s) over the spatial positions (Σ g + Σ p when
 * `squared` is false); the loss is 1 − dice, averaged over (n, c) by 'mean', summed by 'sum', or (N, C) by 'none'.
 * With the defaults (smooth 1, squared) it is the official GVSL downstream `dice_loss`.
 */
export function diceLoss(
  input: Tensor,
  target: Tensor,
  {
    smooth = 1,
    squared = true,
    reduction = 'mean',
  }: { smooth?: number; squared?: boolean; reduction?: Reduction } = {},
): Tensor {
  const g = input.graph;
  if (input.rank < 3)
    throw new BuildError('dice_loss', g.scope, `input must be (N, C, d1, …), got [${input.dims.join(', ')}]`);
  let t = target;
  if (isIndex(target)) {
    checkIndexTarget('dice_loss', input, target);
    t = oneHotLike(target, input);
  } else if (target.dims.join() !== input.dims.join()) {
    throw new BuildError(
      'dice_loss',
      g.scope,
      `target of shape [${target.dims.join(', ')}] must be one-hot of the input's shape [${input.dims.join(', ')}] or class indices`,
    );
  }
  const sp = input.dims.slice(2).map((_, i) => i + 2);
  const inter = reduceSum(mul(input, t), sp);
  const sq = (x: Tensor) => (squared ? mul(x, x) : x);
  const denom = add(add(reduceSum(sq(t), sp), reduceSum(sq(input), sp)), smooth);
  const lossNC = sub(1, div(add(mul(inter, 2), smooth), denom));
  return reduction === 'mean' ? mean(lossNC) : reduce(lossNC, reduction, 'dice_loss');
}
