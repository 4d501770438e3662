/**
 * Activation modules as torch.nn names them; each calls its `F` function (sdk/functional/activation.ts).
 * `inplace` arguments are accepted for signature compatibility and have no effect (graphs are functional).
 */
import * as F from '../functional/activation';
import type { Tensor } from '../tensor';
import { constant } from './init';
import { Module } from './module';

/** An activation that takes PyTorch's `inplace=False` argument (kept for its signature; no effect). */
abstract class InplaceActivation extends Module {
  constructor(readonly inplace = false) {
    super();
  }
}

/** torch.nn.ReLU(inplace=False). */
export class ReLU extends InplaceActivation {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

/** torch.nn.PReLU(num_parameters=1, init=0.25): parameter `weight` [num_parameters], one slope per channel (axis 1). */
export class PReLU extends Module {
  /** PyTorch's num_parameters (the name `numParameters` is Module's parameter count). */
  readonly numSlopes: number;
  constructor(
    numParameters = 1,
    readonly init = 0.25,
  ) {
    super();
    this.numSlopes = numParameters;
    this.addParam('weight', [numParameters], constant(init));
  }
  forward(x: Tensor): Tensor {
    return F.prelu(x, this.param(x.graph, 'weight'));
  }
}

/** torch.nn.ELU(alpha=1.0, inplace=False). */
export class ELU extends Module {
  constructor(
    readonly alpha = 1,
    readonly inplace = false,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha);
  }
}

/** torch.nn.GELU(approximate='none' | 'tanh'). */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh')
      throw new Error(`GELU: approximate must be 'none' or 'tanh', got '${approximate}'`);
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, { approximate: this.approximate });
  }
}

/** torch.nn.SiLU(inplace=False): x·σ(x). */
export class SiLU extends InplaceActivation {
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}

/** torch.nn.Mish(inplace=False): x·tanh(softplus(x)). */
export class Mish extends InplaceActivation {
  forward(x: Tensor): Tensor {
    return F.mish(x);
  }
}

/** torch.nn.Sigmoid(). */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

/** torch.nn.Tanh(). */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

/** torch.nn.Hardswish(inplace=False): x·relu6(x + 3)/6. */
export class Hardswish extends InplaceActivation {
  forward(x: Tensor): Tensor {
    return F.hardswish(x);
  }
}

/** PyTorch's choice when `dim` is not given (deprecated there): 0 for inputs of rank 0, 1 or 3, else 1. */
const implicitDim = (rank: number): number => (rank === 0 || rank === 1 || rank === 3 ? 0 : 1);

/** torch.nn.Softmax(dim=None); without `dim`, PyTorch's implicit choice (0 for rank 0, 1, 3; else 1). */
export class Softmax extends Module {
  constructor(readonly dim: number | null = null) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.softmax(x, this.dim ?? implicitDim(x.rank));
  }
}

/** torch.nn.LogSoftmax(dim=None), numerically stable; `dim` as Softmax. */
export class LogSoftmax extends Module {
  constructor(readonly dim: number | null = null) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.logSoftmax(x, this.dim ?? implicitDim(x.rank));
  }
}
