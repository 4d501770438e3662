import { mulDims, requireStatic } from '../dim';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { logicalAnd } from './and';
import { cast } from './cast';
import { cumsum } from './cumsum';
import { reduceMax } from './reduce-max';
import { equal } from './equal';
import { nonOverlapping, type PoolAttrs, poolAttrs, poolInfer, type PoolOptions, windowViews } from './pool-kit';
import { reshape } from './reshape';
import { inversePerm, transpose } from './transpose';
import { where } from './where';
import { maxPoolGradGeneral } from './max-pool-grad';

/**
 * ONNX MaxPool (opset 12+; lowered at 13+) on [N, C, ...spatial], output Y only (WebGPU has no Indices
 * output). VJP: dy goes to the FIRST maximum of each window in scan order (d, h, w), as PyTorch does; ties
 * are common in medical volumes (zero background). Non-overlapping windows use the window view below;
 * overlapping, padded or dilated windows the patch form of max-pool-grad.ts.
 *
 * NOTE: the window offsets are moved last ([N·C, ...out, K]: one Transpose, rank 7 for 3-D); the first maximum
 * is the element equal to the window's max with no equal element before it (exclusive CumSum of the mask);
 * dy lands there by Where and one Transpose brings it back. ArgMax would be ~30 % faster on the CPU EP
 * (66 vs 97 ms at [1, 32, 64³], kernel time) but its int64 output has no WebGPU Cast/Equal kernels, which
 * made the training graph fall back to the CPU there.
 */
export const MaxPool: Primitive<PoolAttrs> = {
  name: 'MaxPool',
  inputs: ['X'],
  infer: poolInfer,
  lower(ctx, node) {
    const { kernel, strides, pads, dilations } = node.attrs;
    ctx.emit('MaxPool', [ctx.name(node.inputs[0])], [ctx.name(node.outputs[0])], {
      kernel_shape: { ints: kernel },
      strides: { ints: strides },
      pads: { ints: pads },
      ...(dilations ? { dilations: { ints: dilations } } : {}),
    });
  },
  vjp([dy], { inputs: [x], outputs: [y], attrs }) {
    if (!nonOverlapping(attrs)) return [maxPoolGradGeneral(dy!, x!, y, attrs)];
    const { kernel } = attrs;
    const s = kernel.length;
    const nc = mulDims(dy!.dims[0], dy!.dims[1]);
    const out = requireStatic(dy!.dims.slice(2), 'the MaxPool gradient (spatial axes)');
    const windowSize = kernel.reduce((a, b) => a * b, 1);
    const w = windowViews(x!, kernel);
    // [N·C, O1, k1, O2, k2, ...] → [N·C, O1, O2, ..., k1, k2, ...]
    const perm = [0, ...kernel.map((_, i) => 1 + 2 * i), ...kernel.map((_, i) => 2 + 2 * i)];
    const windows = reshape(transpose(w.view(x!), perm), [nc, ...out, windowSize]);
    // The first maximum in scan order: equal to the window's max with no earlier equal element. Built in
    // float/bool (an exclusive CumSum of the mask) rather than with ArgMax, whose int64 output has no WebGPU
    // Cast/Equal kernels.
    const mask = equal(windows, reduceMax(windows, [s + 1], { keepdims: true }));
    const before = cumsum(cast(mask, windows.dtype), s + 1, { exclusive: true });
    const first = logicalAnd(mask, equal(before, 0));
    const dw = where(first, reshape(dy!, [nc, ...out, 1]), 0);
    return [w.restore(transpose(reshape(dw, [nc, ...out, ...kernel]), inversePerm(perm)))];
  },
};

/**
 * Max pooling (torch's max_pool1d/2d/3d without indices): `maxPool(x, { kernel: [2, 2, 2] })`.
 * Strides default to the kernel (as in torch); pads (ONNX order, begins then ends) default to none.
 */
export function maxPool(x: Tensor, opts: PoolOptions): Tensor {
  return x.graph.apply(MaxPool, [x], poolAttrs(opts))[0];
}
