import { check } from '../errors';
import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { FLOATS, wrapAxes } from './kit';
import { mul } from './mul';
import { reduceSum } from './reduce-sum';
import { sub } from './sub';

export interface SoftmaxAttrs {
  /** Non-negative axis. */
  axis: number;
}

/** The shape rule of Softmax and LogSoftmax: a float tensor and one axis of it; the output has its shape. */
export const inferAlongAxis: Primitive<SoftmaxAttrs>['infer'] = ([x], { axis }) => {
  check(x, 'missing input');
  check(FLOATS.includes(x.dtype), () => `dtype ${x.dtype} is not a float type`);
  check(Number.isInteger(axis) && axis >= 0 && axis < x.rank, () => `axis ${axis} is out of range for rank ${x.rank}`);
  return [{ dtype: x.dtype, shape: [...x.dims] }];
};

/**
 * ONNX Softmax (opset 13 semantics: along one axis, not the flattened trailing block of opset ≤ 12).
 * VJP: dx = y·(dy − Σ_axis dy·y). Keeps the output.
 */
export const Softmax: Primitive<SoftmaxAttrs> = {
  name: 'Softmax',
  inputs: ['input'],
  infer: inferAlongAxis,
  lower(ctx, node) {
    ctx.emit('Softmax', [ctx.name(node.inputs[0])], [ctx.name(node.outputs[0])], { axis: { int: node.attrs.axis } });
  },
  vjp([dy], { outputs: [y], attrs: { axis } }) {
    return [mul(y, sub(dy!, reduceSum(mul(dy!, y), [axis], { keepdims: true })))];
  },
};

/** Softmax along `axis` (default -1): `softmax(logits, { axis: 1 })` over the channels of (B, C, D, H, W). */
export function softmax(x: Tensor, { axis = -1 } = {}): Tensor {
  return x.graph.apply(Softmax, [x], { axis: wrapAxes([axis], x.rank)[0] })[0];
}
