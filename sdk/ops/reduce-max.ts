import type { Primitive, VjpRule } from '../primitive';
import type { Tensor } from '../tensor';
import { cast } from './cast';
import { div } from './div';
import { equal } from './equal';
import { wrapAxes } from './kit';
import { mul } from './mul';
import { type ReduceAttrs, reduceInfer, reduceLower, reduceSum } from './reduce-sum';
import { reshape } from './reshape';

/**
 * VJP of ReduceMax/ReduceMin, as torch.amax/amin: dy shared evenly between the tied extrema of each slice,
 * dx = mask·dy/count with mask = (x == broadcast(y)) and count = sum(mask) over the reduced axes.
 * Keeps the input and the output.
 */
export const extremumVjp: VjpRule<ReduceAttrs> = ([dy], { inputs: [x], outputs: [y], attrs: { axes } }) => {
  const kept = x!.dims.map((s, i) => (axes.includes(i) ? 1 : s));
  const mask = cast(equal(x!, reshape(y, kept)), x!.dtype);
  const count = reduceSum(mask, axes, { keepdims: true });
  return [mul(mask, div(reshape(dy!, kept), count))];
};

/** ONNX ReduceMax (opset 13; axes become an input at 18). VJP: dy split evenly over the tied maxima. */
export const ReduceMax: Primitive<ReduceAttrs> = {
  name: 'ReduceMax',
  inputs: ['data'],
  infer: reduceInfer,
  lower: reduceLower('ReduceMax', 18),
  vjp: extremumVjp,
};

/** Maximum over `axes` (negative axes count from the end); the gradient is split evenly over ties. */
export function reduceMax(x: Tensor, axes: readonly number[], { keepdims = false } = {}): Tensor {
  if (axes.length === 0) return x;
  return x.graph.apply(ReduceMax, [x], { axes: wrapAxes(axes, x.rank), keepdims })[0];
}
