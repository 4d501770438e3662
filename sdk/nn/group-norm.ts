import { add, div, mul, reduceMean, reshape, sqrt, sub } from '../ops';
import type { Tensor } from '../tensor';
import { ones, zeros } from './init';
import { Module } from './module';

/**
 * torch.nn.GroupNorm(groups, channels, eps=1e-5, affine=True) on (B, C, *spatial), written from primitives
 * (ONNX GroupNormalization is opset 18 and has no WebGPU kernel) so autodiff needs no rule of its own.
 * NOTE: mean and biased variance are reduced in two stages (spatial, then channels in the group): one long
 * float32 reduction loses ~1e-4 relative precision over 1M elements (ORT-NOTES.md).
 */
export class GroupNorm extends Module {
  constructor(readonly groups: number, readonly channels: number, readonly eps = 1e-5) {
    super();
    if (channels % groups) throw new Error(`GroupNorm: ${channels} channels are not divisible into ${groups} groups`);
    this.addParam('weight', [channels], ones);
    this.addParam('bias', [channels], zeros);
  }

  forward(x: Tensor): Tensor {
    const [n, c, ...sp] = x.shape;
    // Reduce the spatial axes in stages of at most a few thousand elements each, then the group's channels.
    const inner = sp.length > 1 ? sp.slice(1).reduce((a, b) => a * b, 1) : 1;
    const xg = reshape(x, [n, this.groups, c / this.groups, sp[0] ?? 1, inner]);
    const groupMean = (t: Tensor) =>
      reduceMean(reduceMean(reduceMean(t, [4], { keepdims: true }), [3], { keepdims: true }), [2], { keepdims: true });
    const xc = sub(xg, groupMean(xg));
    const v = groupMean(mul(xc, xc));
    const xn = reshape(div(xc, sqrt(add(v, this.eps))), x.shape);
    const bshape = [1, c, ...sp.map(() => 1)];
    const g = x.graph;
    return add(mul(xn, reshape(this.p(g, 'weight'), bshape)), reshape(this.p(g, 'bias'), bshape));
  }
}
