import { BuildError } from '../errors';
import { add, matmul, mT } from '../ops';
import type { Tensor } from '../tensor';
import { torchDefaultBias, torchDefaultWeight } from './init';
import { Module } from './module';

/** torch.nn.Linear: y = x·Wᵀ + b with W [out, in]; x (..., in). */
export class Linear extends Module {
  constructor(readonly inFeatures: number, readonly outFeatures: number, bias = true) {
    super();
    this.addParam('weight', [outFeatures, inFeatures], torchDefaultWeight);
    if (bias) this.addParam('bias', [outFeatures], torchDefaultBias([outFeatures, inFeatures]));
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new BuildError('Linear', this.path, `Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures}) expects input (*, ${this.inFeatures}), got ${x.type}`);
    }
    const g = x.graph;
    const y = matmul(x, mT(this.param(g, 'weight')));
    return this.hasParam('bias') ? add(y, this.param(g, 'bias')) : y;
  }
}
