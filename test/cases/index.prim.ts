/** Forward checks of the index primitives: ORT against the plain-TypeScript references in test/ref/indexing.ts. */
import type { DType } from '../../sdk/dtype';
import {
  gather,
  gatherElements,
  gatherND,
  scatterAdd,
  scatterElements,
  scatterND,
  weightedGather,
} from '../../sdk/ops';
import type { IndexPrim } from '../../sdk/ops/names';
import type { InputSpec } from '../helpers/gradcheck';
import type { PrimCase } from '../helpers/primcheck';
import { ND } from '../ref/nd';
import {
  gatherElementsRef,
  gatherNDRef,
  gatherRef,
  scatterAddRef,
  scatterElementsRef,
  scatterNDRef,
} from '../ref/indexing';

/** out[m, c] = Σ_k w[k, m] · table[idx[k, m], c], one corner at a time. */
function weightedGatherRef(table: ND, idx: ND, w: ND): ND {
  const [k, m] = idx.shape;
  const c = table.shape[1];
  const out = new ND([m, c]);
  for (let j = 0; j < k; j++)
    for (let p = 0; p < m; p++)
      for (let q = 0; q < c; q++) {
        out.data[p * c + q] += w.get([j, p]) * table.get([idx.get([j, p]), q]);
      }
  return out;
}

/** Fixed non-negative index values for WeightedGather rows (repeats within and across corners). */
export const cornerIndices = (k: number, m: number, rows: number): number[] =>
  Array.from({ length: k * m }, (_, i) => (i * 7 + (i >> 2)) % rows);

export const idx = (shape: number[], values: number[], dtype: DType = 'int64'): InputSpec => ({ shape, dtype, values });

export const INDEX_PRIM_CASES: { [K in IndexPrim]: PrimCase[] } = {
  Gather: [
    {
      label: 'axis 0, repeated and negative indices',
      inputs: [{ shape: [5, 3] }, idx([4], [0, -1, 2, 0])],
      build: ([x, i]) => gather(x, i),
      ref: ([x, i]) => gatherRef(x, i, 0),
    },
    {
      label: 'axis 1, 2-d indices',
      inputs: [{ shape: [2, 4, 3] }, idx([2, 3], [3, -4, 1, 1, 1, 0])],
      build: ([x, i]) => gather(x, i, { axis: 1 }),
      ref: ([x, i]) => gatherRef(x, i, 1),
    },
    {
      label: 'axis -1, int32 indices',
      inputs: [{ shape: [2, 3, 4] }, idx([2], [-1, 1], 'int32')],
      build: ([x, i]) => gather(x, i, { axis: -1 }),
      ref: ([x, i]) => gatherRef(x, i, 2),
    },
    {
      label: 'scalar index drops the axis',
      inputs: [{ shape: [2, 3, 4] }, idx([], [2])],
      build: ([x, i]) => gather(x, i, { axis: 1 }),
      ref: ([x, i]) => gatherRef(x, i, 1),
    },
    {
      label: 'int64 data, opset 13',
      inputs: [{ shape: [4], dtype: 'int64', values: [7, 8, 9, 10] }, idx([3], [3, 0, 3])],
      build: ([x, i]) => gather(x, i),
      ref: ([x, i]) => gatherRef(x, i, 0),
      opset: 13,
    },
    {
      label: 'scatterAdd (the adjoint) sums repeated indices along axis 1',
      inputs: [{ shape: [2, 5, 3] }, idx([5], [0, 2, 0, -1, 0])],
      build: ([u, i]) => scatterAdd(u, i, [2, 4, 3], { axis: 1 }),
      ref: ([u, i]) => scatterAddRef(u, i, [2, 4, 3], 1),
      opset: 16,
    },
    {
      label: 'scatterAdd along axis 0 (the trilinear-sampling layout)',
      inputs: [{ shape: [2, 3, 4] }, idx([2, 3], [5, 1, 5, 5, 0, 1])],
      build: ([u, i]) => scatterAdd(u, i, [6, 4]),
      ref: ([u, i]) => scatterAddRef(u, i, [6, 4], 0),
    },
  ],
  GatherElements: [
    {
      label: 'axis 0, negative indices',
      inputs: [{ shape: [3, 4] }, idx([2, 4], [0, -1, 2, 1, -3, 0, 0, 2])],
      build: ([x, i]) => gatherElements(x, i),
      ref: ([x, i]) => gatherElementsRef(x, i, 0),
    },
    {
      label: 'axis 1, more indices than the axis holds',
      inputs: [
        { shape: [2, 3, 4] },
        { shape: [2, 6, 4], dtype: 'int64', values: Array.from({ length: 48 }, (_, k) => (k * 7) % 3) },
      ],
      build: ([x, i]) => gatherElements(x, i, { axis: 1 }),
      ref: ([x, i]) => gatherElementsRef(x, i, 1),
    },
    {
      label: 'axis -1, indices smaller than data, int32',
      inputs: [{ shape: [2, 3, 4] }, idx([1, 2, 2], [3, 0, -1, 1], 'int32')],
      build: ([x, i]) => gatherElements(x, i, { axis: -1 }),
      ref: ([x, i]) => gatherElementsRef(x, i, 2),
    },
  ],
  GatherND: [
    {
      label: 'rows, repeated and negative',
      inputs: [{ shape: [4, 3] }, idx([5, 1], [0, 3, -1, 0, 2])],
      build: ([x, i]) => gatherND(x, i),
      ref: ([x, i]) => gatherNDRef(x, i),
    },
    {
      label: 'pairs into rank 3',
      inputs: [{ shape: [3, 4, 2] }, idx([2, 2, 2], [0, 1, 2, 3, -1, -4, 1, 1])],
      build: ([x, i]) => gatherND(x, i),
      ref: ([x, i]) => gatherNDRef(x, i),
    },
    {
      label: 'full tuples pick elements',
      inputs: [{ shape: [3, 4] }, idx([3, 2], [0, 0, 2, 3, 0, 0])],
      build: ([x, i]) => gatherND(x, i),
      ref: ([x, i]) => gatherNDRef(x, i),
    },
  ],
  ScatterND: [
    {
      label: "reduction 'none', opset 13",
      inputs: [{ shape: [5, 3] }, idx([2, 1], [4, 1]), { shape: [2, 3] }],
      build: ([x, i, u]) => scatterND(x, i, u),
      ref: ([x, i, u]) => scatterNDRef(x, i, u, 'none'),
      opset: 13,
    },
    {
      label: "reduction 'add' sums repeated rows, opset 16",
      inputs: [{ shape: [5, 3] }, idx([6, 1], [0, 2, 0, -1, 2, 0]), { shape: [6, 3] }],
      build: ([x, i, u]) => scatterND(x, i, u, { reduction: 'add' }),
      ref: ([x, i, u]) => scatterNDRef(x, i, u, 'add'),
      opset: 16,
    },
    {
      label: "reduction 'add', pairs into rank 3, float64",
      inputs: [
        { shape: [3, 4, 2], dtype: 'float64' },
        idx([2, 3, 2], [0, 1, 2, 3, 0, 1, 0, 1, -1, 0, 0, 1]),
        { shape: [2, 3, 2], dtype: 'float64' },
      ],
      build: ([x, i, u]) => scatterND(x, i, u, { reduction: 'add' }),
      ref: ([x, i, u]) => scatterNDRef(x, i, u, 'add'),
    },
    {
      label: "reduction 'add', full tuples with repeats, opset 18",
      inputs: [{ shape: [4, 4] }, idx([7, 2], [0, 0, 1, 2, 0, 0, 3, 3, 1, 2, 0, 0, 2, 1]), { shape: [7] }],
      build: ([x, i, u]) => scatterND(x, i, u, { reduction: 'add' }),
      ref: ([x, i, u]) => scatterNDRef(x, i, u, 'add'),
      opset: 18,
    },
  ],
  ScatterElements: [
    {
      label: "reduction 'none', axis 0, opset 13",
      inputs: [{ shape: [4, 3] }, idx([2, 3], [3, 0, 1, 1, 2, -1]), { shape: [2, 3] }],
      build: ([x, i, u]) => scatterElements(x, i, u),
      ref: ([x, i, u]) => scatterElementsRef(x, i, u, 0, 'none'),
      opset: 13,
    },
    {
      label: "reduction 'add', axis 1, repeated and negative indices",
      inputs: [{ shape: [2, 5] }, idx([2, 6], [0, 4, 0, -1, 0, 2, 1, 1, 1, 3, -5, 0]), { shape: [2, 6] }],
      build: ([x, i, u]) => scatterElements(x, i, u, { axis: 1, reduction: 'add' }),
      ref: ([x, i, u]) => scatterElementsRef(x, i, u, 1, 'add'),
    },
    {
      label: "reduction 'add', axis 0 of rank 3, int32 indices, float64",
      inputs: [
        { shape: [3, 2, 4], dtype: 'float64' },
        { shape: [5, 2, 3], dtype: 'int32', values: Array.from({ length: 30 }, (_, k) => (k * 5) % 3) },
        { shape: [5, 2, 3], dtype: 'float64' },
      ],
      build: ([x, i, u]) => scatterElements(x, i, u, { reduction: 'add' }),
      ref: ([x, i, u]) => scatterElementsRef(x, i, u, 0, 'add'),
      opset: 16,
    },
  ],
  WeightedGather: [
    {
      label: '8 corners, float32 indices (the trilinear layout)',
      inputs: [{ shape: [6, 4] }, { shape: [8, 5], values: cornerIndices(8, 5, 6) }, { shape: [8, 5], range: [0, 1] }],
      build: ([t, i, w]) => weightedGather(t, i, w),
      ref: ([t, i, w]) => weightedGatherRef(t, i, w),
    },
    {
      label: '3 corners, int64 indices, float64, opset 13',
      inputs: [
        { shape: [4, 3], dtype: 'float64' },
        idx([3, 7], cornerIndices(3, 7, 4)),
        { shape: [3, 7], dtype: 'float64' },
      ],
      build: ([t, i, w]) => weightedGather(t, i, w),
      ref: ([t, i, w]) => weightedGatherRef(t, i, w),
      tol: 1e-12,
      opset: 13,
    },
    {
      label: 'one corner, int32 indices, one channel',
      inputs: [{ shape: [5, 1] }, idx([1, 4], [4, 0, 4, 2], 'int32'), { shape: [1, 4] }],
      build: ([t, i, w]) => weightedGather(t, i, w),
      ref: ([t, i, w]) => weightedGatherRef(t, i, w),
    },
  ],
};
