import type { Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { div } from './div';
import { wrapAxes } from './kit';
import { countOver, type ReduceAttrs, reduceInfer, reduceLower, unreduce } from './reduce-sum';

/** ONNX ReduceMean (opset 13; axes become an input at 18). VJP: dx = broadcast(dy) / count of reduced elements. */
export const ReduceMean: Primitive<ReduceAttrs> = {
  name: 'ReduceMean',
  inputs: ['data'],
  infer: reduceInfer,
  lower: reduceLower('ReduceMean', 18),
  vjp([dy], { inputs: [x], attrs }) {
    return [unreduce(div(dy!, countOver(x!, attrs.axes, dy!.dtype)), x!, attrs)];
  },
};

/** Mean over `axes` (negative axes count from the end): `reduceMean(x, [2, 3, 4], { keepdims: true })`. */
export function reduceMean(x: Tensor, axes: readonly number[], { keepdims = false } = {}): Tensor {
  if (axes.length === 0) return x;
  return x.graph.apply(ReduceMean, [x], { axes: wrapAxes(axes, x.rank), keepdims })[0];
}

/** Mean of every element, as a scalar (shape []). */
export function mean(x: Tensor): Tensor {
  return reduceMean(
    x,
    x.dims.map((_, i) => i),
  );
}
