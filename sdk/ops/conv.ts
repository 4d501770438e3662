import { fmtDims, windowDim } from '../dim';
import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { convInputGrad, convWeightGrad } from './conv-grad';
import { FLOATS } from './kit';
import { reduceSum } from './reduce-sum';

export interface ConvAttrs {
  /** ONNX order: the begins of every spatial axis, then the ends. */
  pads: number[];
  strides: number[];
  dilations: number[];
  group: number;
}

/** Output length of a convolution/pooling window along one axis (floor mode). */
export function convOutLength(
  size: number,
  k: number,
  padBegin: number,
  padEnd: number,
  stride: number,
  dilation = 1,
): number {
  return Math.floor((size + padBegin + padEnd - dilation * (k - 1) - 1) / stride) + 1;
}

/** Checks per-axis attribute lists of a window op (conv or pool) with `s` spatial axes. */
export function checkWindowAttrs(
  s: number,
  { pads, strides, dilations }: { pads: number[]; strides: number[]; dilations?: number[] },
): void {
  check(
    pads.length === 2 * s && pads.every((p) => Number.isInteger(p) && p >= 0),
    () => `pads [${pads}] must be ${2 * s} non-negative integers (begins, then ends) for ${s} spatial axes`,
  );
  check(
    strides.length === s && strides.every((v) => Number.isInteger(v) && v >= 1),
    () => `strides [${strides}] must be ${s} positive integers`,
  );
  if (dilations) {
    check(
      dilations.length === s && dilations.every((v) => Number.isInteger(v) && v >= 1),
      () => `dilations [${dilations}] must be ${s} positive integers`,
    );
  }
}

/**
 * ONNX Conv (opset 11+; lowered at 13+), 1-D/2-D/3-D: X [N, C_in, ...S], W [C_out, C_in/group, ...k],
 * optional B [C_out]. VJP: dX = Conv(dy zero-interleaved by stride, W flipped with in/out swapped per group,
 * pads dilation·(k−1) − pad); dW[:, :, j] = dy ⋆ (X shifted by offset j) as one Gemm per kernel offset;
 * dB = Σ dy over batch and space. No ConvTranspose (slow on CPU, missing on WebGPU): see conv-grad.ts.
 */
export const Conv: Primitive<ConvAttrs> = {
  name: 'Conv',
  inputs: ['X', 'W', 'B?'],
  infer([x, w, b], attrs) {
    check(x && w, 'missing input');
    const { pads, strides, dilations, group } = attrs;
    check(
      FLOATS.includes(x.dtype) && w.dtype === x.dtype,
      () => `X and W must be float tensors of one dtype, got ${x.dtype} and ${w.dtype}`,
    );
    check(
      x.rank >= 3 && x.rank <= 5,
      () => `X must be [N, C, ...spatial] with 1 to 3 spatial axes, got X ${fmtDims(x.dims)}`,
    );
    check(w.rank === x.rank, () => `W [${w.shape}] must have the rank of X ${fmtDims(x.dims)}`);
    const s = x.rank - 2;
    checkWindowAttrs(s, attrs);
    check(Number.isInteger(group) && group >= 1, () => `group ${group} must be a positive integer`);
    const [n, cin, ...sp] = x.dims;
    const [cout, cig, ...k] = w.shape;
    check(
      cin === cig * group,
      () =>
        `X ${fmtDims(x.dims)} has ${cin} channels but W [${w.shape}] with group ${group} expects ${cig * group}${typeof cin === 'string' ? ' (the channel axis must be static)' : ''}`,
    );
    check(
      cout % group === 0 && cout > 0,
      () => `W [${w.shape}]: ${cout} output channels are not divisible by group ${group}`,
    );
    if (b) {
      check(
        b.dtype === x.dtype && b.rank === 1 && b.shape[0] === cout,
        () => `B ${b.type} must be ${x.dtype}[${cout}] for W [${w.shape}]`,
      );
    }
    const out = sp.map((size, i) => {
      const span = dilations[i] * (k[i] - 1) + 1;
      check(
        k[i] >= 1 && (typeof size === 'string' || span <= size + pads[i] + pads[i + s]),
        () =>
          `kernel [${k}] (dilations [${dilations}]) is larger than the padded input: X ${fmtDims(x.dims)}, W [${w.shape}], pads [${pads}]`,
      );
      return windowDim(size, k[i], pads[i], pads[i + s], strides[i], dilations[i]);
    });
    return [{ dtype: x.dtype, shape: [n, cout, ...out] }];
  },
  lower(ctx, node) {
    const { pads, strides, dilations, group } = node.attrs;
    const [x, w, b] = node.inputs;
    ctx.emit(
      'Conv',
      (b ? [x, w, b] : [x, w]).map((t) => ctx.name(t)),
      [ctx.name(node.outputs[0])],
      {
        kernel_shape: { ints: w!.shape.slice(2) },
        pads: { ints: pads },
        strides: { ints: strides },
        dilations: { ints: dilations },
        group: { int: group },
      },
    );
  },
  vjp([dy], { inputs: [x, w, b], attrs }) {
    const d = dy!;
    return [
      convInputGrad(d, w!, attrs, x!.dims),
      convWeightGrad(d, x!, attrs, w!.shape),
      b
        ? reduceSum(
            d,
            d.dims.map((_, i) => i).filter((i) => i !== 1),
          )
        : null,
    ];
  },
};

export interface ConvOptions {
  pads?: readonly number[];
  strides?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

/**
 * N-d convolution (torch's conv1d/2d/3d, cross-correlation): `conv(x, w, b, { pads: [1,1,1,1,1,1] })` on
 * x (N, C, D, H, W) and w (C_out, C_in/group, kd, kh, kw); `b` may be null. Defaults: no padding,
 * strides and dilations 1, group 1.
 */
export function conv(x: Tensor, w: Tensor, b: Tensor | null = null, opts: ConvOptions = {}): Tensor {
  const s = Math.max(x.rank - 2, 0);
  const attrs: ConvAttrs = {
    pads: [...(opts.pads ?? new Array(2 * s).fill(0))],
    strides: [...(opts.strides ?? new Array(s).fill(1))],
    dilations: [...(opts.dilations ?? new Array(s).fill(1))],
    group: opts.group ?? 1,
  };
  return x.graph.apply(Conv, [x, w, b], attrs)[0];
}
