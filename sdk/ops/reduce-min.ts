import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { wrapAxes } from './kit';
import { extremumVjp } from './reduce-max';
import { type ReduceAttrs, reduceInfer, reduceLower } from './reduce-sum';

/** ONNX ReduceMin (opset 13; axes become an input at 18). VJP: dy split evenly over the tied minima. */
export const ReduceMin: Primitive<ReduceAttrs> = {
  name: 'ReduceMin',
  inputs: ['data'],
  infer: reduceInfer,
  lower: reduceLower('ReduceMin', 18),
  vjp: extremumVjp,
};

/** Minimum over `axes` (negative axes count from the end); the gradient is split evenly over ties. */
export function reduceMin(x: Tensor, axes: readonly number[], { keepdims = false } = {}): Tensor {
  if (axes.length === 0) return x;
  return x.graph.apply(ReduceMin, [x], { axes: wrapAxes(axes, x.rank), keepdims })[0];
}
