import { mulDims } from '../dim';
import { BuildError } from '../errors';
import { groupNorm } from '../functional/normalization';
import { add, mul, reshape, standardize } from '../ops';
import { recomputable } from '../remat';
import type { Tensor } from '../tensor';
import { ones, zeros } from './init';
import { Module } from './module';

/**
 * torch.nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True) on (N, C, *): the `Standardize` primitive
 * on x as [B, groups, C/groups, D, H·W] (staged means; its VJP keeps only x̂ and std, see sdk/ops/standardize.ts),
 * then the per-channel scale and shift. Its output is recomputable (sdk/remat.ts) from x̂.
 */
export class GroupNorm extends Module {
  constructor(
    readonly groups: number,
    readonly channels: number,
    readonly eps = 1e-5,
    readonly affine = true,
  ) {
    super();
    if (channels % groups)
      throw new Error(`GroupNorm(${groups}, ${channels}): num_channels must be divisible by num_groups`);
    if (affine) {
      this.addParam('weight', [channels], ones);
      this.addParam('bias', [channels], zeros);
    }
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 2 || x.dims[1] !== this.channels) {
      throw new BuildError(
        'GroupNorm',
        this.path,
        `GroupNorm(${this.groups}, ${this.channels}) expects input (N, ${this.channels}, *), got ${x.type}`,
      );
    }
    if (!this.affine) return groupNorm(x, this.groups, { eps: this.eps });
    if (x.rank === 2)
      return groupNorm(x, this.groups, {
        eps: this.eps,
        weight: this.param(x.graph, 'weight'),
        bias: this.param(x.graph, 'bias'),
      });
    const [n, c, ...sp] = x.dims;
    // Spatial axes as [D, H·W] so that each mean is reduced in stages of at most a few thousand elements.
    const inner = mulDims(...sp.slice(1));
    const [xn] = standardize(reshape(x, [n, this.groups, this.channels / this.groups, sp[0] ?? 1, inner]), {
      eps: this.eps,
    });
    const xr = reshape(xn, x.dims);
    const bshape = [1, c, ...sp.map(() => 1)];
    const g = x.graph;
    const [w, b] = [reshape(this.param(g, 'weight'), bshape), reshape(this.param(g, 'bias'), bshape)];
    // Recomputable from x̂ (kept anyway by Standardize's VJP): an activation after it need not be kept.
    return recomputable(add(mul(xr, w), b), [xr], ([t], zero) => add(mul(t, add(w, zero)), b));
  }
}
