import { BuildError } from '../errors';
import { convPads, type ConvPadding, convTranspose1d, convTranspose2d, convTranspose3d } from '../functional/conv';
import { pad } from '../functional/pad';
import { ntuple } from '../functional/util';
import { add, conv, slice } from '../ops';
import type { Tensor } from '../tensor';
import { type Initializer, torchDefaultBias, torchDefaultWeight } from './init';
import { NdModule, spatialAxes } from './nd';

export interface ConvOptions {
  /** A number, one per spatial axis, 'same' (stride 1 only) or 'valid'. Default 0. */
  padding?: ConvPadding;
  stride?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  bias?: boolean;
  /** 'zeros' (default), 'reflect', 'replicate' or 'circular' (F.pad's composite forms). */
  paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular';
  weightInit?: Initializer;
  /** Bias initialiser (default PyTorch's U(±1/√fan_in)). */
  biasInit?: Initializer;
}

/**
 * What Conv and ConvTranspose share, as PyTorch's _ConvNd: the groups check, kernel_size, and the weight
 * ([out, in/groups, …k], or [in, out/groups, …k] for the transposed convolution) and bias [out] with
 * PyTorch's reset_parameters (kaiming_uniform_(a=√5), bias U(±1/√fan_in), fan_in from weight.size(1)·k).
 */
abstract class ConvBase extends NdModule {
  readonly kernelSize: number[];
  /** The weight's shape: [out, in/groups, …k] (Conv), [in, out/groups, …k] (ConvTranspose). */
  readonly weightShape: number[];
  constructor(
    family: 'Conv' | 'ConvTranspose',
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly number[],
    o: { groups?: number; bias?: boolean; weightInit?: Initializer; biasInit?: Initializer },
  ) {
    super();
    const groups = o.groups ?? 1;
    const name = `${family}${this.dims}d(${inChannels}, ${outChannels})`;
    if (!Number.isInteger(groups) || groups < 1 || inChannels % groups || outChannels % groups) {
      throw new Error(`${name}: in_channels and out_channels must be divisible by groups=${groups}`);
    }
    const k = (this.kernelSize = ntuple(kernelSize, this.dims, `${name} kernel_size`));
    this.weightShape =
      family === 'Conv' ? [outChannels, inChannels / groups, ...k] : [inChannels, outChannels / groups, ...k];
    this.addParam('weight', this.weightShape, o.weightInit ?? torchDefaultWeight);
    if (o.bias ?? true) this.addParam('bias', [outChannels], o.biasInit ?? torchDefaultBias(this.weightShape));
  }
}

/**
 * torch.nn.Conv1d/2d/3d: weight [out, in/groups, ...k], bias [out]; input (N, C_in, ...spatial). Default
 * initialisation as PyTorch's reset_parameters (kaiming_uniform_(a=√5), bias U(±1/√fan_in)).
 */
abstract class ConvNd extends ConvBase {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly number[],
    readonly opts: ConvOptions = {},
  ) {
    super('Conv', inChannels, outChannels, kernelSize, opts);
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(opts.paddingMode ?? 'zeros')) {
      throw new Error(
        `Conv${this.dims}d(${inChannels}, ${outChannels}): padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', got '${opts.paddingMode}'`,
      );
    }
  }

  /** `Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2))`, as PyTorch prints it. */
  override toString(): string {
    const o = this.opts;
    const extra = [
      o.stride !== undefined && `stride=${o.stride}`,
      o.padding !== undefined && `padding=${o.padding}`,
      o.dilation !== undefined && `dilation=${o.dilation}`,
      (o.groups ?? 1) !== 1 && `groups=${o.groups}`,
      o.bias === false && 'bias=False',
    ].filter(Boolean);
    return `Conv${this.dims}d(${[this.inChannels, this.outChannels, `kernel_size=(${this.kernelSize})`, ...extra].join(', ')})`;
  }

  private check(parts: readonly Tensor[]): void {
    const bad = parts.find((t) => t.rank !== this.dims + 2);
    // null when a channel axis is symbolic (refused below with the expected input layout).
    const channels = parts.reduce<number | null>(
      (s, t) => (s === null || typeof t.dims[1] !== 'number' ? null : s + t.dims[1]),
      0,
    );
    if (parts.length > 1 && !bad && channels !== null && channels !== this.inChannels) {
      const groups = this.opts.groups ?? 1;
      throw new Error(
        `${this.path}: inputs with ${parts.map((t) => t.dims[1]).join(' + ')} channels cannot stand for the ${this.inChannels}-channel input of Conv${this.dims}d(${this.inChannels}, ${this.outChannels}${groups === 1 ? '' : `, groups=${groups}`})`,
      );
    }
    if (bad || channels !== this.inChannels) {
      const got = parts.map((t) => t.type).join(' + ');
      throw new BuildError(
        `Conv${this.dims}d`,
        this.path,
        `${this} expects input (N, ${this.inChannels}, ${spatialAxes(this.dims)}), got ${got}`,
      );
    }
  }

  /**
   * A list of inputs is convolved as their concatenation along the channels, without building it: the sum of
   * one Conv per part with that part's slice of the weight (the bias added once). A U-Net up-block's
   * concatenation [skip, upsampled] would otherwise be kept whole for the weight gradient (192 MiB at 64³ for
   * the GVSL pair) next to the skip tensor that is kept anyway.
   */
  forward(x: Tensor | readonly Tensor[]): Tensor {
    const { padding = 0, groups = 1 } = this.opts;
    const parts = Array.isArray(x) ? (x as readonly Tensor[]) : [x as Tensor];
    this.check(parts);
    const g = parts[0].graph;
    const s = this.dims;
    const strides = ntuple(this.opts.stride ?? 1, s, 'stride');
    const dilations = ntuple(this.opts.dilation ?? 1, s, 'dilation');
    let attrs = {
      pads: convPads(padding, this.kernelSize, dilations, strides, String(this)),
      strides,
      dilations,
      group: groups,
    };
    const mode = this.opts.paddingMode ?? 'zeros';
    let ins = parts;
    if (mode !== 'zeros' && attrs.pads.some((p) => p > 0)) {
      // As PyTorch: pad explicitly in that mode (F.pad order: last axis first), then a Conv without padding.
      const torchPad = Array.from({ length: s }, (_, i) => [attrs.pads[s - 1 - i], attrs.pads[2 * s - 1 - i]]).flat();
      ins = parts.map((t) => pad(t, torchPad, mode));
      attrs = { ...attrs, pads: attrs.pads.map(() => 0) };
    }
    const w = this.param(g, 'weight');
    const bias = this.hasParam('bias') ? this.param(g, 'bias') : null;
    if (ins.length === 1) return conv(ins[0], w, bias, attrs);
    const channels = parts.map((t) => t.dims[1] as number);
    if (groups !== 1)
      throw new BuildError(
        `Conv${s}d`,
        this.path,
        `a list of inputs (${channels.join(' + ')} channels) needs groups=1, not ${groups}`,
      );
    let start = 0;
    return ins
      .map((t, i) => {
        const wi = slice(w, { axes: [1], starts: [start], ends: [start + channels[i]] });
        start += channels[i];
        return conv(t, wi, i === 0 ? bias : null, attrs);
      })
      .reduce((a, b) => add(a, b));
  }
}

/** torch.nn.Conv1d(in_channels, out_channels, kernel_size, {stride, padding, dilation, groups, bias}) on (N, C, L). */
export class Conv1d extends ConvNd {
  static override readonly dims = 1;
}

/** torch.nn.Conv2d(in_channels, out_channels, kernel_size, {stride, padding, dilation, groups, bias}) on (N, C, H, W). */
export class Conv2d extends ConvNd {
  static override readonly dims = 2;
}

/** torch.nn.Conv3d(in_channels, out_channels, kernel_size, {stride, padding, dilation, groups, bias}) on (N, C, D, H, W). */
export class Conv3d extends ConvNd {
  static override readonly dims = 3;
}

export interface ConvTransposeOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  outputPadding?: number | readonly number[];
  groups?: number;
  bias?: boolean;
  dilation?: number | readonly number[];
}

const CONV_T = [convTranspose1d, convTranspose2d, convTranspose3d];

/**
 * torch.nn.ConvTranspose1d/2d/3d: weight [in, out/groups, ...k], bias [out]. PyTorch's reset_parameters
 * computes fan_in from weight.size(1)·k, so the default init is U(±1/√((out/groups)·k)) for both. Lowered
 * as a convolution's input gradient (no ONNX ConvTranspose: see functional/conv.ts).
 */
abstract class ConvTransposeNd extends ConvBase {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly number[],
    readonly opts: ConvTransposeOptions = {},
  ) {
    super('ConvTranspose', inChannels, outChannels, kernelSize, opts);
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== this.dims + 2 || x.dims[1] !== this.inChannels) {
      throw new BuildError(
        `ConvTranspose${this.dims}d`,
        this.path,
        `ConvTranspose${this.dims}d(${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize})) expects input (N, ${this.inChannels}, ${spatialAxes(this.dims)}), got ${x.type}`,
      );
    }
    const g = x.graph;
    const { bias: _b, ...args } = this.opts;
    return CONV_T[this.dims - 1](
      x,
      this.param(g, 'weight'),
      this.hasParam('bias') ? this.param(g, 'bias') : null,
      args,
    );
  }
}

/** torch.nn.ConvTranspose1d(in, out, kernel_size, {stride, padding, outputPadding, groups, bias, dilation}). */
export class ConvTranspose1d extends ConvTransposeNd {
  static override readonly dims = 1;
}
/** torch.nn.ConvTranspose2d(in, out, kernel_size, {stride, padding, outputPadding, groups, bias, dilation}). */
export class ConvTranspose2d extends ConvTransposeNd {
  static override readonly dims = 2;
}
/** torch.nn.ConvTranspose3d(in, out, kernel_size, {stride, padding, outputPadding, groups, bias, dilation}). */
export class ConvTranspose3d extends ConvTransposeNd {
  static override readonly dims = 3;
}
