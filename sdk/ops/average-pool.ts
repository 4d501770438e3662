import { requireStatic } from '../dim';
import { allocate } from '../dtype';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { convInputGrad } from './conv-grad';
import { expandTo } from './expand';
import { mul } from './mul';
import { nonOverlapping, type PoolAttrs, poolAttrs, poolInfer, type PoolOptions, windowViews } from './pool-kit';
import { reshape } from './reshape';

export interface AveragePoolAttrs extends PoolAttrs {
  /** Divide by the whole window (true) or only by its elements inside the unpadded input (false). */
  countIncludePad: boolean;
}

/** How many elements of each window lie inside the input, per output position along one axis. */
function insideCounts(size: number, k: number, padBegin: number, stride: number, out: number): number[] {
  return Array.from({ length: out }, (_, o) => {
    const lo = o * stride - padBegin;
    return Math.min(lo + k, size) - Math.max(lo, 0);
  });
}

/**
 * ONNX AveragePool (opset 11+; lowered at 13+, floor mode) on [N, C, ...spatial]. VJP: each window's
 * dy / divisor spread evenly over the window; for non-overlapping windows a broadcast in the window view,
 * otherwise the input gradient of a depthwise Conv with an all-ones kernel (dy pre-divided per window).
 */
export const AveragePool: Primitive<AveragePoolAttrs> = {
  name: 'AveragePool',
  inputs: ['X'],
  infer: poolInfer,
  lower(ctx, node) {
    const { kernel, strides, pads, countIncludePad } = node.attrs;
    ctx.emit('AveragePool', [ctx.name(node.inputs[0])], [ctx.name(node.outputs[0])], {
      kernel_shape: { ints: kernel },
      strides: { ints: strides },
      pads: { ints: pads },
      count_include_pad: { int: countIncludePad ? 1 : 0 },
    });
  },
  vjp([dy], { inputs: [x], attrs }) {
    const { kernel, strides, pads, countIncludePad } = attrs;
    const d = dy!;
    const windowSize = kernel.reduce((a, b) => a * b, 1);
    if (nonOverlapping(attrs)) {
      const w = windowViews(x!, kernel);
      return [w.restore(expandTo(reshape(mul(d, 1 / windowSize), w.outView), w.viewShape))];
    }
    const g = x!.graph;
    const c = x!.dims[1] as number;
    const sp = requireStatic(x!.dims.slice(2), 'the AveragePool gradient (spatial axes)');
    const out = requireStatic(d.dims.slice(2), 'the AveragePool gradient (spatial axes)');
    const s = sp.length;
    let scaled: Tensor;
    if (countIncludePad || pads.every((p) => p === 0)) {
      scaled = mul(d, 1 / windowSize);
    } else {
      const per = sp.map((v, i) => insideCounts(v, kernel[i], pads[i], strides[i], out[i]));
      const inv = allocate(
        x!.dtype,
        out.reduce((a, b) => a * b, 1),
      ) as Float32Array;
      inv.forEach((_, flat) => {
        let rest = flat;
        let count = 1;
        for (let i = s - 1; i >= 0; i--) {
          count *= per[i][rest % out[i]];
          rest = Math.floor(rest / out[i]);
        }
        inv[flat] = 1 / count;
      });
      scaled = mul(d, g.constant(inv, x!.dtype, [1, 1, ...out]));
    }
    const ones = g.full([c, 1, ...kernel], 1, x!.dtype);
    return [convInputGrad(scaled, ones, { pads, strides, dilations: kernel.map(() => 1), group: c }, x!.dims)];
  },
};

/**
 * Average pooling (torch's avg_pool1d/2d/3d, floor mode): `avgPool(x, { kernel: [2, 2, 2] })`. Strides
 * default to the kernel and `countIncludePad` to true, as in torch (ONNX's defaults are 1 and false).
 */
export function avgPool(x: Tensor, opts: PoolOptions & { countIncludePad?: boolean }): Tensor {
  return x.graph.apply(AveragePool, [x], { ...poolAttrs(opts), countIncludePad: opts.countIncludePad ?? true })[0];
}
