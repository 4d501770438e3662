/**
 * Gradient checks of the reduction primitives, float64 (ORT's CPU EP has float64 kernels for every Reduce*,
 * ArgMax, Softmax, CumSum and the Equal/Cast of the max/min mask). Random inputs have no ties, so the
 * max/min are differentiable there; the even split over ties is checked by hand in the test file.
 */
import type { Tensor } from '../../sdk/tensor';
import {
  argMax,
  cast,
  cumsum,
  equal,
  logSoftmax,
  mean,
  mul,
  reduceMax,
  reduceMean,
  reduceMin,
  reduceSum,
  softmax,
} from '../../sdk/ops';
import type { ReducePrim } from '../../sdk/ops/names';
import type { GradCase } from '../helpers/gradcheck';

/** x kept only at its argmax along `axis` (a one-hot mask built from ArgMax, Equal against an iota, Cast). */
function keepArgMax(x: Tensor, axis: number): Tensor {
  const n = x.shape[axis];
  const iota = x.graph.constant(
    Array.from({ length: n }, (_, i) => i),
    'int64',
    x.shape.map((s, i) => (i === axis ? n : 1)),
  );
  return mul(x, cast(equal(argMax(x, { axis, keepdims: true }), iota), x.dtype));
}

export const REDUCE_GRAD_CASES: { [K in ReducePrim]: GradCase[] } = {
  ReduceSum: [
    { label: 'axes [0, 2]', inputs: [{ shape: [3, 4, 5] }], build: ([x]) => reduceSum(x, [0, 2]) },
    {
      label: 'axis -1, keepdims',
      inputs: [{ shape: [2, 3, 5] }],
      build: ([x]) => reduceSum(x, [-1], { keepdims: true }),
    },
  ],
  ReduceMean: [
    {
      label: 'spatial axes of (B, C, D, H, W)',
      inputs: [{ shape: [2, 3, 3, 2, 5] }],
      build: ([x]) => reduceMean(x, [2, 3, 4]),
    },
    {
      label: 'axis -2, keepdims, opset 18',
      inputs: [{ shape: [3, 5, 2] }],
      opset: 18,
      build: ([x]) => reduceMean(x, [-2], { keepdims: true }),
    },
    { label: 'mean of a product', inputs: [{ shape: [4, 3] }, { shape: [4, 3] }], build: ([a, b]) => mean(mul(a, b)) },
  ],
  ReduceMax: [
    { label: 'axis 1', inputs: [{ shape: [3, 5, 4] }], build: ([x]) => reduceMax(x, [1]) },
    {
      label: 'axes [0, -1], keepdims, opset 18',
      inputs: [{ shape: [3, 5, 4] }],
      opset: 18,
      build: ([x]) => reduceMax(x, [0, -1], { keepdims: true }),
    },
  ],
  ReduceMin: [
    { label: 'axis 2', inputs: [{ shape: [3, 5, 4] }], build: ([x]) => reduceMin(x, [2]) },
    {
      label: 'every axis, keepdims, opset 13',
      inputs: [{ shape: [4, 3] }],
      opset: 13,
      build: ([x]) => reduceMin(x, [0, 1], { keepdims: true }),
    },
  ],
  ArgMax: [
    {
      label: 'x kept at its argmax along axis 1 (one-hot from ArgMax)',
      inputs: [{ shape: [3, 5, 4] }],
      build: ([x]) => keepArgMax(x, 1),
    },
    {
      label: 'x scaled by its argmax index along the last axis',
      inputs: [{ shape: [4, 6] }],
      build: ([x]) => mul(x, cast(argMax(x, { axis: -1, keepdims: true }), 'float64')),
    },
  ],
  Softmax: [
    {
      label: 'channels of (B, C, D, H, W)',
      inputs: [{ shape: [2, 4, 2, 3, 2], range: [-3, 3] }],
      build: ([x]) => softmax(x, { axis: 1 }),
    },
    { label: 'last axis', inputs: [{ shape: [3, 7], range: [-3, 3] }], build: ([x]) => softmax(x) },
  ],
  LogSoftmax: [
    {
      label: 'channels of (B, C, D, H, W)',
      inputs: [{ shape: [2, 4, 2, 3, 2], range: [-3, 3] }],
      build: ([x]) => logSoftmax(x, { axis: 1 }),
    },
    { label: 'last axis', inputs: [{ shape: [3, 7], range: [-3, 3] }], build: ([x]) => logSoftmax(x) },
    {
      label: 'axis 0, opset 13',
      opset: 13,
      inputs: [{ shape: [4, 3], range: [-3, 3] }],
      build: ([x]) => logSoftmax(x, { axis: 0 }),
    },
  ],
  CumSum: [
    { label: 'axis 1', inputs: [{ shape: [3, 5, 2] }], build: ([x]) => cumsum(x, 1) },
    { label: 'exclusive, axis -1', inputs: [{ shape: [3, 6] }], build: ([x]) => cumsum(x, -1, { exclusive: true }) },
    { label: 'reverse, axis 0', inputs: [{ shape: [5, 3] }], build: ([x]) => cumsum(x, 0, { reverse: true }) },
    {
      label: 'exclusive + reverse',
      inputs: [{ shape: [4, 7] }],
      build: ([x]) => cumsum(x, 1, { exclusive: true, reverse: true }),
    },
  ],
};
