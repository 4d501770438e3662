/** Forward checks of the reduction primitives: ORT against the plain-TypeScript references in test/ref/reduce.ts. */
import {
  argMax,
  cast,
  cumsum,
  logSoftmax,
  mean,
  reduceMax,
  reduceMean,
  reduceMin,
  reduceSum,
  softmax,
} from '../../sdk/ops';
import type { ReducePrim } from '../../sdk/ops/names';
import type { PrimCase } from '../helpers/primcheck';
import { argMaxRef, cumsumRef, logSoftmaxRef, reduceRef, softmaxRef } from '../ref/reduce';

/** Integers in [0, k): many ties on purpose. */
const ints = (shape: number[], k: number, dtype: 'float32' | 'float64' | 'int64' | 'int32' = 'float32') => ({
  shape,
  dtype,
  values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i * 7 + 3) % k),
});

export const REDUCE_PRIM_CASES: { [K in ReducePrim]: PrimCase[] } = {
  ReduceSum: [
    {
      label: 'axes [1, 3] of an odd 4-d shape',
      inputs: [{ shape: [3, 5, 2, 7] }],
      build: ([x]) => reduceSum(x, [1, 3]),
      ref: ([x]) => reduceRef(x, [1, 3], false, 'sum'),
    },
    {
      label: 'negative axis, keepdims, opset 13',
      inputs: [{ shape: [2, 3, 5] }],
      opset: 13,
      build: ([x]) => reduceSum(x, [-1], { keepdims: true }),
      ref: ([x]) => reduceRef(x, [2], true, 'sum'),
    },
    {
      label: 'every axis of int64 data',
      inputs: [ints([3, 4], 9, 'int64')],
      build: ([x]) => reduceSum(x, [0, 1]),
      ref: ([x]) => reduceRef(x, [0, 1], false, 'sum'),
    },
  ],
  ReduceMean: [
    {
      label: 'spatial axes of (B, C, D, H, W), opset 17 (axes attribute)',
      inputs: [{ shape: [2, 3, 3, 4, 5] }],
      build: ([x]) => reduceMean(x, [2, 3, 4]),
      ref: ([x]) => reduceRef(x, [2, 3, 4], false, 'mean'),
    },
    {
      label: 'opset 18 (axes input), negative axes, keepdims',
      inputs: [{ shape: [3, 5, 7] }],
      opset: 18,
      build: ([x]) => reduceMean(x, [-3, -1], { keepdims: true }),
      ref: ([x]) => reduceRef(x, [0, 2], true, 'mean'),
    },
    {
      label: 'mean(x) over every axis, float64, opset 13',
      inputs: [{ shape: [5, 3, 2], dtype: 'float64' }],
      opset: 13,
      build: ([x]) => mean(x),
      ref: ([x]) => reduceRef(x, [0, 1, 2], false, 'mean'),
    },
  ],
  ReduceMax: [
    {
      label: 'axis 1 with ties',
      inputs: [ints([4, 5, 3], 3)],
      build: ([x]) => reduceMax(x, [1]),
      ref: ([x]) => reduceRef(x, [1], false, 'max'),
    },
    {
      label: 'opset 18, negative axes, keepdims',
      inputs: [{ shape: [3, 5, 7] }],
      opset: 18,
      build: ([x]) => reduceMax(x, [-1, 0], { keepdims: true }),
      ref: ([x]) => reduceRef(x, [0, 2], true, 'max'),
    },
    {
      label: 'int32 data, opset 13',
      inputs: [ints([2, 7], 5, 'int32')],
      opset: 13,
      build: ([x]) => reduceMax(x, [1]),
      ref: ([x]) => reduceRef(x, [1], false, 'max'),
    },
  ],
  ReduceMin: [
    {
      label: 'axes [0, 2] with ties',
      inputs: [ints([3, 4, 5], 4)],
      build: ([x]) => reduceMin(x, [0, 2]),
      ref: ([x]) => reduceRef(x, [0, 2], false, 'min'),
    },
    {
      label: 'opset 18, axis -2, keepdims, float64',
      inputs: [{ shape: [3, 5, 7], dtype: 'float64' }],
      opset: 18,
      build: ([x]) => reduceMin(x, [-2], { keepdims: true }),
      ref: ([x]) => reduceRef(x, [1], true, 'min'),
    },
    {
      label: 'opset 21',
      inputs: [{ shape: [6, 5] }],
      opset: 21,
      build: ([x]) => reduceMin(x, [0]),
      ref: ([x]) => reduceRef(x, [0], false, 'min'),
    },
  ],
  ArgMax: [
    {
      label: 'axis 1 with ties: the first maximum',
      inputs: [ints([3, 5, 4], 3)],
      build: ([x]) => argMax(x, { axis: 1 }),
      ref: ([x]) => argMaxRef(x, 1, false),
    },
    {
      label: 'axis -1, keepdims, selectLastIndex',
      inputs: [ints([3, 5, 4], 3)],
      build: ([x]) => argMax(x, { axis: -1, keepdims: true, selectLastIndex: true }),
      ref: ([x]) => argMaxRef(x, 2, true, true),
    },
    {
      label: 'float64, axis 0, opset 13',
      inputs: [{ shape: [7, 3], dtype: 'float64' }],
      opset: 13,
      build: ([x]) => argMax(x),
      ref: ([x]) => argMaxRef(x, 0, false),
    },
    {
      label: 'int64 data, cast to float',
      inputs: [ints([4, 6], 5, 'int64')],
      build: ([x]) => cast(argMax(x, { axis: 1 }), 'float32'),
      ref: ([x]) => argMaxRef(x, 1, false),
    },
  ],
  Softmax: [
    {
      label: 'channels of (B, C, D, H, W)',
      inputs: [{ shape: [2, 3, 2, 3, 5], range: [-4, 4] }],
      build: ([x]) => softmax(x, { axis: 1 }),
      ref: ([x]) => softmaxRef(x, 1),
    },
    {
      label: 'default last axis, large logits, float64',
      inputs: [{ shape: [3, 7], dtype: 'float64', range: [-300, 300] }],
      build: ([x]) => softmax(x),
      ref: ([x]) => softmaxRef(x, -1),
      tol: 1e-12,
    },
    {
      label: 'axis 0 of rank 3, opset 13',
      inputs: [{ shape: [5, 2, 3] }],
      opset: 13,
      build: ([x]) => softmax(x, { axis: 0 }),
      ref: ([x]) => softmaxRef(x, 0),
    },
  ],
  LogSoftmax: [
    {
      label: 'channels of (B, C, D, H, W)',
      inputs: [{ shape: [2, 3, 2, 3, 5], range: [-4, 4] }],
      build: ([x]) => logSoftmax(x, { axis: 1 }),
      ref: ([x]) => logSoftmaxRef(x, 1),
    },
    {
      label: 'default last axis, large logits, float64',
      inputs: [{ shape: [3, 7], dtype: 'float64', range: [-300, 300] }],
      build: ([x]) => logSoftmax(x),
      ref: ([x]) => logSoftmaxRef(x, -1),
      tol: 1e-12,
    },
    {
      // The composed lowering's ReduceMax takes its axes as an attribute before opset 18.
      label: 'axis 0, opset 13',
      opset: 13,
      inputs: [{ shape: [4, 5], range: [-4, 4] }],
      build: ([x]) => logSoftmax(x, { axis: 0 }),
      ref: ([x]) => logSoftmaxRef(x, 0),
    },
    {
      label: 'axis 0 of rank 3, opset 13',
      inputs: [{ shape: [5, 2, 3] }],
      opset: 13,
      build: ([x]) => logSoftmax(x, { axis: 0 }),
      ref: ([x]) => logSoftmaxRef(x, 0),
    },
  ],
  CumSum: [
    {
      label: 'axis 1',
      inputs: [{ shape: [3, 5, 2] }],
      build: ([x]) => cumsum(x, 1),
      ref: ([x]) => cumsumRef(x, 1, false, false),
    },
    {
      label: 'exclusive, axis -1',
      inputs: [{ shape: [3, 7] }],
      build: ([x]) => cumsum(x, -1, { exclusive: true }),
      ref: ([x]) => cumsumRef(x, 1, true, false),
    },
    {
      label: 'reverse, axis 0, float64',
      inputs: [{ shape: [5, 3], dtype: 'float64' }],
      build: ([x]) => cumsum(x, 0, { reverse: true }),
      ref: ([x]) => cumsumRef(x, 0, false, true),
    },
    {
      label: 'exclusive + reverse, int64, opset 13',
      inputs: [ints([2, 6], 10, 'int64')],
      opset: 13,
      build: ([x]) => cumsum(x, -1, { exclusive: true, reverse: true }),
      ref: ([x]) => cumsumRef(x, 1, true, true),
    },
  ],
};
