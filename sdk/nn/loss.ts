/**
 * Loss modules as torch.nn names them; each calls its `F` function (sdk/functional). Class weights and
 * pos_weight are given as numbers and become constants of the graph (PyTorch keeps them as buffers; here they
 * are not parameters either, so a model's state_dict is unchanged by them).
 */
import type { Graph } from '../graph';
import * as F from '../functional';
import type { Reduction } from '../functional/reduction';
import type { Tensor } from '../tensor';
import { Module } from './module';

const vec = (g: Graph, v: readonly number[] | null | undefined, dtype: Tensor['dtype']): Tensor | null =>
  v ? g.constant(v, dtype, [v.length]) : null;

/** A loss module with PyTorch's keyword arguments as one options object `O` (all optional). */
abstract class Loss<O extends object> extends Module {
  /** The options as given (PyTorch's defaults where absent). */
  readonly opts: O;
  constructor(opts?: O) {
    super();
    this.opts = opts ?? ({} as O);
  }
}

/** torch.nn.CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0). */
export class CrossEntropyLoss extends Loss<{
  weight?: readonly number[] | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}> {
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, ...rest } = this.opts;
    return F.crossEntropy(input, target, { ...rest, weight: vec(input.graph, weight, input.dtype) });
  }
}

/** torch.nn.NLLLoss(weight=None, ignore_index=-100, reduction='mean'). */
export class NLLLoss extends Loss<{ weight?: readonly number[] | null; ignoreIndex?: number; reduction?: Reduction }> {
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, ...rest } = this.opts;
    return F.nllLoss(input, target, { ...rest, weight: vec(input.graph, weight, input.dtype) });
  }
}

/** torch.nn.BCELoss(weight=None, reduction='mean'); `weight` broadcasts against the input's trailing axes. */
export class BCELoss extends Loss<{ weight?: readonly number[] | null; reduction?: Reduction }> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, {
      reduction: this.opts.reduction,
      weight: vec(input.graph, this.opts.weight, input.dtype),
    });
  }
}

/** torch.nn.BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None). */
export class BCEWithLogitsLoss extends Loss<{
  weight?: readonly number[] | null;
  reduction?: Reduction;
  posWeight?: readonly number[] | null;
}> {
  forward(input: Tensor, target: Tensor): Tensor {
    const g = input.graph;
    return F.binaryCrossEntropyWithLogits(input, target, {
      reduction: this.opts.reduction,
      weight: vec(g, this.opts.weight, input.dtype),
      posWeight: vec(g, this.opts.posWeight, input.dtype),
    });
  }
}

/** torch.nn.MSELoss(reduction='mean'). */
export class MSELoss extends Loss<{ reduction?: Reduction }> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.opts);
  }
}

/** torch.nn.L1Loss(reduction='mean'). */
export class L1Loss extends Loss<{ reduction?: Reduction }> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, this.opts);
  }
}

/** torch.nn.SmoothL1Loss(reduction='mean', beta=1.0). */
export class SmoothL1Loss extends Loss<{ reduction?: Reduction; beta?: number }> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, this.opts);
  }
}

/** torch.nn.HuberLoss(reduction='mean', delta=1.0). */
export class HuberLoss extends Loss<{ reduction?: Reduction; delta?: number }> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, this.opts);
  }
}

/** torch.nn.KLDivLoss(reduction='mean', log_target=False). */
export class KLDivLoss extends Loss<{ reduction?: Reduction | 'batchmean'; logTarget?: boolean }> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, this.opts);
  }
}

/** torch.nn.CosineSimilarity(dim=1, eps=1e-8). */
export class CosineSimilarity extends Module {
  constructor(
    readonly dim = 1,
    readonly eps = 1e-8,
  ) {
    super();
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps });
  }
}

/** Multi-class soft Dice loss (no torch.nn counterpart); see F.diceLoss for the formula. */
export class DiceLoss extends Loss<{ smooth?: number; squared?: boolean; reduction?: Reduction }> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.diceLoss(input, target, this.opts);
  }
}
