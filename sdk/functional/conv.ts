import { isStatic } from '../dim';
import { BuildError } from '../errors';
import { add, conv, reshape } from '../ops';
import { convInputGrad } from '../ops/conv-grad';
import type { Tensor } from '../tensor';
import { expectSpatial, ntuple } from './util';

export type ConvPadding = number | readonly number[] | 'same' | 'valid';

export interface ConvArgs {
  stride?: number | readonly number[];
  padding?: ConvPadding;
  dilation?: number | readonly number[];
  groups?: number;
}

/** ONNX pads (begins, then ends) of PyTorch's padding, 'same' as torch splits it (the extra one at the end). */
export function convPads(
  padding: ConvPadding,
  kernel: readonly number[],
  dilation: readonly number[],
  stride: readonly number[],
  op: string,
): number[] {
  const s = kernel.length;
  if (padding === 'valid') return new Array(2 * s).fill(0);
  if (padding === 'same') {
    if (stride.some((v) => v !== 1))
      throw new Error(
        `${op}: padding='same' is not supported for strided convolutions (stride [${stride}]), as in PyTorch`,
      );
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    return [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))];
  }
  const p = ntuple(padding, s, `${op} padding`);
  return [...p, ...p];
}

function convNd(s: number, op: string, x: Tensor, weight: Tensor, bias: Tensor | null, a: ConvArgs): Tensor {
  expectSpatial(x, s, op);
  const k = weight.shape.slice(2);
  const strides = ntuple(a.stride ?? 1, s, `${op} stride`);
  const dilations = ntuple(a.dilation ?? 1, s, `${op} dilation`);
  return conv(x, weight, bias, {
    pads: convPads(a.padding ?? 0, k, dilations, strides, op),
    strides,
    dilations,
    group: a.groups ?? 1,
  });
}

/** torch.nn.functional.conv1d: x (N, C_in, L), weight (C_out, C_in/groups, k). ONNX Conv. */
export const conv1d = (x: Tensor, weight: Tensor, bias: Tensor | null = null, a: ConvArgs = {}): Tensor =>
  convNd(1, 'conv1d', x, weight, bias, a);
/** torch.nn.functional.conv2d: x (N, C_in, H, W), weight (C_out, C_in/groups, kh, kw). ONNX Conv. */
export const conv2d = (x: Tensor, weight: Tensor, bias: Tensor | null = null, a: ConvArgs = {}): Tensor =>
  convNd(2, 'conv2d', x, weight, bias, a);
/** torch.nn.functional.conv3d: x (N, C_in, D, H, W), weight (C_out, C_in/groups, kd, kh, kw). ONNX Conv. */
export const conv3d = (x: Tensor, weight: Tensor, bias: Tensor | null = null, a: ConvArgs = {}): Tensor =>
  convNd(3, 'conv3d', x, weight, bias, a);

export interface ConvTransposeArgs {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  outputPadding?: number | readonly number[];
  groups?: number;
  dilation?: number | readonly number[];
}

/**
 * Transposed convolution as the input gradient of the matching convolution (conv-grad.ts: zero-interleave by
 * the stride, Conv with flipped, channel-swapped weights): no ONNX ConvTranspose, which is ~8× slower on ORT's
 * CPU EP and fails for 3-D on WebGPU (ORT-NOTES.md). Differentiable through the ops it is built from.
 */
function convTransposeNd(
  s: number,
  op: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  a: ConvTransposeArgs,
): Tensor {
  expectSpatial(x, s, op);
  const groups = a.groups ?? 1;
  const stride = ntuple(a.stride ?? 1, s, `${op} stride`);
  const padding = ntuple(a.padding ?? 0, s, `${op} padding`);
  const outPad = ntuple(a.outputPadding ?? 0, s, `${op} output_padding`);
  const dilation = ntuple(a.dilation ?? 1, s, `${op} dilation`);
  const [cin, coutG, ...k] = weight.shape;
  const fail = (msg: string) => new BuildError(op, x.graph.scope, msg);
  if (weight.rank !== s + 2) throw fail(`weight must be (C_in, C_out/groups, ${s} kernel dims), got ${weight.type}`);
  if (x.dims[1] !== cin) throw fail(`input ${x.type} has ${x.dims[1]} channels, weight ${weight.type} expects ${cin}`);
  const sp = x.dims.slice(2);
  if (!isStatic(sp)) throw fail(`needs static spatial dims, got input ${x.type} (only the batch may be symbolic)`);
  if (cin % groups) throw fail(`${cin} input channels are not divisible by groups=${groups}`);
  outPad.forEach((p, i) => {
    if (p < 0 || p >= stride[i]) throw fail(`output_padding [${outPad}] must be smaller than the stride [${stride}]`);
  });
  const outSize = (sp as number[]).map(
    (l, i) => (l - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k[i] - 1) + outPad[i] + 1,
  );
  if (outSize.some((v) => v < 1))
    throw fail(`output size [${outSize}] is not positive for input ${x.type}, kernel [${k}], padding [${padding}]`);
  const y = convInputGrad(
    x,
    weight,
    { pads: [...padding, ...padding], strides: stride, dilations: dilation, group: groups },
    [x.dims[0], coutG * groups, ...outSize],
  );
  if (!bias) return y;
  if (bias.rank !== 1 || bias.shape[0] !== coutG * groups) throw fail(`bias ${bias.type} must be [${coutG * groups}]`);
  return add(y, reshape(bias, [coutG * groups, ...k.map(() => 1)]));
}

/** torch.nn.functional.conv_transpose1d: x (N, C_in, L), weight (C_in, C_out/groups, k). */
export const convTranspose1d = (
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  a: ConvTransposeArgs = {},
): Tensor => convTransposeNd(1, 'conv_transpose1d', x, weight, bias, a);
/** torch.nn.functional.conv_transpose2d: x (N, C_in, H, W), weight (C_in, C_out/groups, kh, kw). */
export const convTranspose2d = (
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  a: ConvTransposeArgs = {},
): Tensor => convTransposeNd(2, 'conv_transpose2d', x, weight, bias, a);
/** torch.nn.functional.conv_transpose3d: x (N, C_in, D, H, W), weight (C_in, C_out/groups, kd, kh, kw). */
export const convTranspose3d = (
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  a: ConvTransposeArgs = {},
): Tensor => convTransposeNd(3, 'conv_transpose3d', x, weight, bias, a);
