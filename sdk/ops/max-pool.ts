import { allocate } from '../dtype';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { equal } from './equal';
import { nonOverlapping, type PoolAttrs, poolAttrs, poolInfer, type PoolOptions, windowViews } from './pool-kit';
import { reshape } from './reshape';
import { where } from './where';

/**
 * ONNX MaxPool (opset 12+; lowered at 13+) on [N, C, ...spatial], output Y only (WebGPU has no Indices
 * output). VJP (non-overlapping windows only): dy goes to the FIRST maximum of each window in scan order
 * (d, h, w), as PyTorch does; ties are common in medical volumes (zero background).
 *
 * NOTE: the "first maximum" mask needs no transposes: in the window view [N, C, O1, k1, O2, k2, ...] each
 * maximum scores K − (its offset in the window), everything else 0; a MaxPool of the scores picks the first
 * maximum's score, unique per window, and Equal against it is the mask. Five elementwise passes and one
 * MaxPool, against two rank-7 Transposes and a CumSum for the obvious route (see the benchmark in the report).
 */
export const MaxPool: Primitive<PoolAttrs> = {
  name: 'MaxPool',
  inputs: ['X'],
  infer: poolInfer,
  lower(ctx, node) {
    const { kernel, strides, pads } = node.attrs;
    ctx.emit('MaxPool', [ctx.name(node.inputs[0])], [ctx.name(node.outputs[0])], {
      kernel_shape: { ints: kernel }, strides: { ints: strides }, pads: { ints: pads },
    });
  },
  vjp([dy], { inputs: [x], outputs: [y], attrs }) {
    if (!nonOverlapping(attrs)) {
      throw new Error(`MaxPool gradient supports only kernel == stride without padding (got kernel [${attrs.kernel}], strides [${attrs.strides}], pads [${attrs.pads}])`);
    }
    const { kernel } = attrs;
    const w = windowViews(x!, kernel);
    const yv = reshape(y, w.outView);
    const windowSize = kernel.reduce((a, b) => a * b, 1);
    // Scores K, K−1, ..., 1 over the window offsets in row-major (scan) order.
    const scores = allocate(x!.dtype, windowSize) as Float32Array;
    scores.forEach((_, i) => (scores[i] = windowSize - i));
    const g = x!.graph;
    const rank = kernel.length;
    const offsetScore = g.constant(scores, x!.dtype, [1, 1, ...kernel.flatMap((k) => [1, k])]);
    const score = where(equal(w.view(x!), yv), offsetScore, 0);
    const best = reshape(maxPool(reshape(score, w.covered), { kernel, strides: kernel, pads: new Array(2 * rank).fill(0) }), w.outView);
    return [w.restore(where(equal(score, best), reshape(dy!, w.outView), 0))];
  },
};

/**
 * Max pooling (torch's max_pool1d/2d/3d without indices): `maxPool(x, { kernel: [2, 2, 2] })`.
 * Strides default to the kernel (as in torch); pads (ONNX order, begins then ends) default to none.
 */
export function maxPool(x: Tensor, opts: PoolOptions): Tensor {
  return x.graph.apply(MaxPool, [x], poolAttrs(opts))[0];
}
