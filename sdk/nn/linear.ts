import { linear } from '../functional/linear';
import type { Graph } from '../graph';
import type { Tensor } from '../tensor';
import { torchDefaultBias, torchDefaultWeight } from './init';
import { Module } from './module';

/**
 * torch.nn.Linear(in_features, out_features, bias=True): y = x·Wᵀ + b with `weight` [out, in] and `bias` [out],
 * both U(±1/√in_features) as PyTorch (kaiming_uniform_(a=√5) for the weight); x (…, in) → (…, out).
 */
export class Linear extends Module {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
  ) {
    super();
    this.addParam('weight', [outFeatures, inFeatures], torchDefaultWeight);
    if (bias) this.addParam('bias', [outFeatures], torchDefaultBias([outFeatures, inFeatures]));
  }

  /** The graph tensors of `weight` and `bias` (null without bias), for a parent that applies them itself. */
  tensors(g: Graph): { weight: Tensor; bias: Tensor | null } {
    return { weight: this.param(g, 'weight'), bias: this.hasParam('bias') ? this.param(g, 'bias') : null };
  }

  forward(x: Tensor): Tensor {
    const { weight, bias } = this.tensors(x.graph);
    return linear(x, weight, bias);
  }
}
