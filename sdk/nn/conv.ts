import { conv } from '../ops';
import type { Tensor } from '../tensor';
import { type Initializer, torchDefaultBias, torchDefaultWeight } from './init';
import { Module } from './module';

export interface ConvOptions {
  padding?: number;
  stride?: number;
  dilation?: number;
  groups?: number;
  bias?: boolean;
  weightInit?: Initializer;
  /** Bias initialiser (default PyTorch's U(±1/√fan_in)). */
  biasInit?: Initializer;
}

/**
 * torch.nn.Conv3d: weight [out, in/groups, k, k, k], bias [out]; input (B, C, D, H, W).
 * Default initialisation as PyTorch's (kaiming_uniform_(a=√5), bias U(±1/√fan_in)).
 */
export class Conv3d extends Module {
  readonly weightShape: number[];
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number, readonly opts: ConvOptions = {}) {
    super();
    const groups = opts.groups ?? 1;
    if (inChannels % groups || outChannels % groups) {
      throw new Error(`Conv3d(${inChannels}, ${outChannels}): channels must be divisible by groups=${groups}`);
    }
    this.weightShape = [outChannels, inChannels / groups, kernel, kernel, kernel];
    this.addParam('weight', this.weightShape, opts.weightInit ?? torchDefaultWeight);
    if (opts.bias ?? true) this.addParam('bias', [outChannels], opts.biasInit ?? torchDefaultBias(this.weightShape));
  }

  forward(x: Tensor): Tensor {
    const { padding = 0, stride = 1, dilation = 1, groups = 1 } = this.opts;
    const g = x.graph;
    return conv(x, this.p(g, 'weight'), this.hasParam('bias') ? this.p(g, 'bias') : null, {
      pads: new Array(6).fill(padding),
      strides: [stride, stride, stride],
      dilations: [dilation, dilation, dilation],
      group: groups,
    });
  }
}
