import { add, conv, slice } from '../ops';
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

  /**
   * A list of inputs is convolved as their concatenation along the channels, without building it: the sum of
   * one Conv per part with that part's slice of the weight (the bias added once). A U-Net up-block's
   * concatenation [skip, upsampled] would otherwise be kept whole for the weight gradient (192 MiB at 64³ for
   * the GVSL pair) next to the skip tensor that is kept anyway.
   */
  forward(x: Tensor | readonly Tensor[]): Tensor {
    const { padding = 0, stride = 1, dilation = 1, groups = 1 } = this.opts;
    const parts = Array.isArray(x) ? (x as readonly Tensor[]) : [x as Tensor];
    const g = parts[0].graph;
    const attrs = { pads: new Array(6).fill(padding), strides: [stride, stride, stride], dilations: [dilation, dilation, dilation], group: groups };
    const w = this.p(g, 'weight');
    const bias = this.hasParam('bias') ? this.p(g, 'bias') : null;
    if (parts.length === 1) return conv(parts[0], w, bias, attrs);
    const channels = parts.map((t) => t.dims[1] as number);
    const total = channels.reduce((a, b) => a + b, 0);
    if (groups !== 1 || total !== this.inChannels) {
      throw new Error(`${this.path}: inputs with ${channels.join(' + ')} channels cannot stand for the ${this.inChannels}-channel input of Conv3d(${this.inChannels}, ${this.outChannels}${groups === 1 ? '' : `, groups=${groups}`})`);
    }
    let start = 0;
    return parts.map((t, i) => {
      const wi = slice(w, { axes: [1], starts: [start], ends: [start + channels[i]] });
      start += channels[i];
      return conv(t, wi, i === 0 ? bias : null, attrs);
    }).reduce((a, b) => add(a, b));
  }
}
