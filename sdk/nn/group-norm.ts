import { mulDims } from '../dim';
import { BuildError } from '../errors';
import { add, mul, reshape, standardize } from '../ops';
import { recomputable } from '../remat';
import type { Tensor } from '../tensor';
import { ones, zeros } from './init';
import { Module } from './module';

/**
 * torch.nn.GroupNorm(groups, channels, eps=1e-5, affine=True) on (B, C, *spatial): the `Standardize` primitive
 * on x as [B, groups, C/groups, D, H·W] (staged means; its VJP keeps only x̂ and std, see sdk/ops/standardize.ts),
 * then the per-channel scale and shift. Its output is recomputable (sdk/remat.ts) from x̂.
 */
export class GroupNorm extends Module {
  constructor(readonly groups: number, readonly channels: number, readonly eps = 1e-5) {
    super();
    if (channels % groups) throw new Error(`GroupNorm: ${channels} channels are not divisible into ${groups} groups`);
    this.addParam('weight', [channels], ones);
    this.addParam('bias', [channels], zeros);
  }

  forward(x: Tensor): Tensor {
    const [n, c, ...sp] = x.dims;
    if (c !== this.channels) {
      throw new BuildError('GroupNorm', x.graph.scope, `expects ${this.channels} channels (GroupNorm(${this.groups}, ${this.channels})) but the input is ${x.type}`);
    }
    // Spatial axes as [D, H·W] so that each mean is reduced in stages of at most a few thousand elements.
    const inner = mulDims(...sp.slice(1));
    const [xn] = standardize(reshape(x, [n, this.groups, c / this.groups, sp[0] ?? 1, inner]), { eps: this.eps });
    const xr = reshape(xn, x.dims);
    const bshape = [1, c, ...sp.map(() => 1)];
    const g = x.graph;
    const [w, b] = [reshape(this.p(g, 'weight'), bshape), reshape(this.p(g, 'bias'), bshape)];
    // Recomputable from x̂ (kept anyway by Standardize's VJP): an activation after it need not be kept.
    return recomputable(add(mul(xr, w), b), [xr], ([t], zero) => add(mul(t, add(w, zero)), b));
  }
}
