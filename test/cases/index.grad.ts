/**
 * Gradient checks of the index primitives, float64 (ORT's CPU Gather*, Scatter* and the Less/Where of the
 * index normalisation all have float64 kernels). Indices are fixed int64 inputs, never differentiated, and
 * repeat on purpose: the scatter-add of every gather VJP must sum duplicates.
 */
import {
  gather,
  gatherElements,
  gatherND,
  mul,
  scatterAdd,
  scatterElements,
  scatterND,
  slice,
  weightedGather,
} from '../../sdk/ops';
import type { IndexPrim } from '../../sdk/ops/names';
import type { GradCase } from '../helpers/gradcheck';
import { cornerIndices, idx } from './index.prim';

export const INDEX_GRAD_CASES: { [K in IndexPrim]: GradCase[] } = {
  Gather: [
    {
      label: 'axis 0, repeated and negative indices',
      inputs: [{ shape: [5, 3] }, idx([6], [0, 2, 0, -1, 4, 2])],
      build: ([x, i]) => gather(x, i),
    },
    {
      label: 'axis 1, 2-d indices, opset 16',
      inputs: [{ shape: [2, 4, 3] }, idx([2, 3], [3, -4, 1, 1, 1, 0])],
      build: ([x, i]) => gather(x, i, { axis: 1 }),
      opset: 16,
    },
    {
      label: 'axis 2, scalar index',
      inputs: [{ shape: [2, 3, 4] }, idx([], [-2])],
      build: ([x, i]) => gather(x, i, { axis: 2 }),
    },
    {
      label: 'axis 0 of a channel-last table, int32 indices',
      inputs: [{ shape: [6, 4] }, idx([3, 3], [5, 1, 5, 5, 0, 1, 2, 5, 0], 'int32')],
      build: ([x, i]) => gather(x, i),
    },
    {
      label: 'axis 1, nonNegative promise (no index wrapping), repeated',
      inputs: [{ shape: [2, 4, 3] }, idx([5], [0, 3, 0, 2, 0])],
      build: ([x, i]) => gather(x, i, { axis: 1, nonNegative: true }),
    },
  ],
  GatherElements: [
    {
      label: 'axis 0, repeated and negative',
      inputs: [{ shape: [3, 4] }, idx([5, 4], [0, -1, 2, 1, -3, 0, 0, 2, 1, 1, 1, 1, 2, 0, 0, -1, 0, 0, 0, 0])],
      build: ([x, i]) => gatherElements(x, i),
    },
    {
      label: 'axis 2, repeated',
      inputs: [
        { shape: [2, 3, 4] },
        { shape: [2, 2, 6], dtype: 'int64', values: Array.from({ length: 24 }, (_, k) => (k * 7) % 4) },
      ],
      build: ([x, i]) => gatherElements(x, i, { axis: 2 }),
    },
    {
      label: 'axis 1, nonNegative promise, repeated',
      inputs: [{ shape: [2, 3] }, idx([2, 4], [2, 2, 0, 1, 1, 1, 0, 2])],
      build: ([x, i]) => gatherElements(x, i, { axis: 1, nonNegative: true }),
    },
  ],
  GatherND: [
    {
      label: 'rows, repeated and negative',
      inputs: [{ shape: [4, 3] }, idx([5, 1], [0, 3, -1, 0, 2])],
      build: ([x, i]) => gatherND(x, i),
    },
    {
      label: 'pairs into rank 3, repeated',
      inputs: [{ shape: [3, 4, 2] }, idx([2, 3, 2], [0, 1, 2, 3, 0, 1, 0, 1, -1, 0, 0, 1])],
      build: ([x, i]) => gatherND(x, i),
    },
  ],
  ScatterND: [
    {
      label: "reduction 'add', repeated rows",
      inputs: [{ shape: [5, 3] }, idx([6, 1], [0, 2, 0, -1, 2, 0]), { shape: [6, 3] }],
      build: ([x, i, u]) => scatterND(x, i, u, { reduction: 'add' }),
    },
    {
      label: "reduction 'none', unique rows (one negative)",
      inputs: [{ shape: [5, 3] }, idx([2, 1], [4, -4]), { shape: [2, 3] }],
      build: ([x, i, u]) => scatterND(x, i, u),
    },
    {
      label: "reduction 'none', unique pairs, opset 13",
      inputs: [{ shape: [3, 4, 2] }, idx([3, 2], [0, 1, 2, 3, 1, 1]), { shape: [3, 2] }],
      build: ([x, i, u]) => scatterND(x, i, u),
      opset: 13,
    },
    {
      label: 'scatterAdd (gather adjoint) along axis 1',
      inputs: [{ shape: [2, 5, 3] }, idx([5], [0, 2, 0, -1, 0])],
      build: ([u, i]) => scatterAdd(u, i, [2, 4, 3], { axis: 1 }),
    },
  ],
  ScatterElements: [
    {
      label: "reduction 'add', axis 1, repeated",
      inputs: [{ shape: [2, 5] }, idx([2, 6], [0, 4, 0, -1, 0, 2, 1, 1, 1, 3, -5, 0]), { shape: [2, 6] }],
      build: ([x, i, u]) => scatterElements(x, i, u, { axis: 1, reduction: 'add' }),
    },
    {
      label: "reduction 'none', axis 0, unique per column",
      inputs: [{ shape: [4, 3] }, idx([2, 3], [3, 0, 1, 1, 2, -1]), { shape: [2, 3] }],
      build: ([x, i, u]) => scatterElements(x, i, u),
    },
  ],
  WeightedGather: [
    {
      label: '8 corners, float indices (never differentiated), table and weights',
      inputs: [{ shape: [6, 3] }, { shape: [8, 5], values: cornerIndices(8, 5, 6), diff: false }, { shape: [8, 5] }],
      build: ([t, i, w]) => weightedGather(t, i, w),
    },
    {
      label: '2 corners, int64 indices, weights from the table (both paths into one input)',
      inputs: [{ shape: [4, 2] }, idx([2, 2], [3, 0, 3, 3])],
      build: ([t, i]) => weightedGather(t, i, mul(slice(t, { axes: [0], starts: [0], ends: [2] }), 2)),
    },
    {
      label: '8 corners, float32, opset 16',
      dtype: 'float32',
      inputs: [
        { shape: [9, 4] },
        { shape: [8, 6], dtype: 'float32', values: cornerIndices(8, 6, 9), diff: false },
        { shape: [8, 6] },
      ],
      build: ([t, i, w]) => weightedGather(t, i, w),
      opset: 16,
    },
  ],
};
