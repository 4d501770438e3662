import { linear } from '../functional/linear';
import type { Tensor } from '../tensor';
import { torchDefaultBias, torchDefaultWeight } from './init';
import { Module } from './module';

/**
 * torch.nn.Linear(in_features, out_features, bias=True): y = x·Wᵀ + b with `weight` [out, in] and `bias` [out],
 * both U(±1/√in_features) as PyTorch (kaiming_uniform_(a=√5) for the weight); x (…, in) → (…, out).
 */
export class Linear extends Module {
  constructor(readonly inFeatures: number, readonly outFeatures: number, bias = true) {
    super();
    this.addParam('weight', [outFeatures, inFeatures], torchDefaultWeight);
    if (bias) this.addParam('bias', [outFeatures], torchDefaultBias([outFeatures, inFeatures]));
  }

  forward(x: Tensor): Tensor {
    const g = x.graph;
    return linear(x, this.param(g, 'weight'), this.hasParam('bias') ? this.param(g, 'bias') : null);
  }
}
