import { grad } from '../../sdk/autodiff';
import { Graph } from '../../sdk/graph';
import {
  argMax,
  concat,
  cumsum,
  expandTo,
  pad,
  reduceMax,
  reduceMean,
  reduceMin,
  reshape,
  slice,
  softmax,
  split,
  squeeze,
  transpose,
  unsqueeze,
} from '../../sdk/ops';
import { REDUCE } from '../../sdk/ops/group-reduce';
import { SHAPE } from '../../sdk/ops/group-shape';
import { REDUCE_PRIMS, SHAPE_PRIMS } from '../../sdk/ops/names';
import type { Tensor } from '../../sdk/tensor';
import { REDUCE_GRAD_CASES } from '../cases/reduce.grad';
import { REDUCE_PRIM_CASES } from '../cases/reduce.prim';
import { SHAPE_GRAD_CASES } from '../cases/shape.grad';
import { SHAPE_PRIM_CASES } from '../cases/shape.prim';
import { gradCheck } from '../helpers/gradcheck';
import { checkRecordedModels } from '../helpers/onnx-checker';
import { primCheck } from '../helpers/primcheck';
import { runGraph } from '../helpers/run';

const f64 = (shape: number[], v: number[]) => ({ dtype: 'float64' as const, shape, data: Float64Array.from(v) });

test('REDUCE and SHAPE hold every primitive of their group under its own name', () => {
  expect(Object.keys(REDUCE).sort()).toEqual([...REDUCE_PRIMS].sort());
  expect(Object.keys(SHAPE).sort()).toEqual([...SHAPE_PRIMS].sort());
  for (const [k, p] of [...Object.entries(REDUCE), ...Object.entries(SHAPE)]) expect(p.name).toBe(k);
});

describe.each([
  ...REDUCE_PRIMS.map((p) => [p, REDUCE_PRIM_CASES[p], REDUCE_GRAD_CASES[p]] as const),
  ...SHAPE_PRIMS.map((p) => [p, SHAPE_PRIM_CASES[p], SHAPE_GRAD_CASES[p]] as const),
])('%s', (_prim, prims, grads) => {
  test.each(prims.map((c) => [c.label ?? '', c] as const))('forward: %s', async (_, c) => {
    await primCheck(c);
  });
  test.each(grads.map((c) => [c.label ?? '', c] as const))('gradient: %s', async (_, c) => {
    const r = await gradCheck(c);
    expect(r.rel).toBeLessThanOrEqual(r.tol);
  });
});

/** dx of `f(x)` for the cotangent `dy`, run in ORT (float64). */
async function vjpOf(
  name: string,
  xv: number[],
  xShape: number[],
  f: (x: Tensor) => Tensor,
  dyv: number[],
): Promise<number[]> {
  const g = new Graph(name);
  const x = g.input('x', 'float64', xShape);
  const y = f(x);
  const dy = g.input('dy', 'float64', [...y.shape]);
  g.output('dx', grad(y, [x], { seed: dy })[0]);
  const out = await runGraph(g, { x: f64(xShape, xv), dy: f64([...y.shape], dyv) });
  return Array.from(out.dx.data as Float64Array);
}

describe('hand-computed gradients', () => {
  test('reduceMax with ties splits dy evenly between the tied maxima (torch.amax)', async () => {
    const dx = await vjpOf('max_ties', [1, 3, 3, 2, 2, 2, 0, 5, -1], [3, 3], (x) => reduceMax(x, [1]), [1, 6, 2]);
    expect(dx).toEqual([0, 0.5, 0.5, 2, 2, 2, 0, 2, 0]);
  });
  test('reduceMax over two axes, keepdims: the ties may sit in different rows', async () => {
    // x[0] = [[4, 1], [0, 4]], x[1] = [[2, 5], [5, 1]]: two tied maxima in each
    const dx = await vjpOf(
      'max_ties2',
      [4, 1, 0, 4, 2, 5, 5, 1],
      [2, 2, 2],
      (x) => reduceMax(x, [1, 2], { keepdims: true }),
      [3, 8],
    );
    expect(dx).toEqual([1.5, 0, 0, 1.5, 0, 4, 4, 0]);
  });
  test('reduceMin with ties', async () => {
    const dx = await vjpOf('min_ties', [1, -2, -2, -2, 0, 1], [6], (x) => reduceMin(x, [0]), [9]);
    expect(dx).toEqual([0, 3, 3, 3, 0, 0]);
  });
  test('slice with step −1 puts dy back in reverse', async () => {
    const dx = await vjpOf(
      'slice_rev',
      [0, 1, 2, 3, 4],
      [5],
      (x) => slice(x, { starts: [3], ends: [0], steps: [-1] }),
      [10, 20, 30],
    );
    expect(dx).toEqual([0, 30, 20, 10, 0]);
  });
  test('slice with step 3 (and step −3) places dy every third element', async () => {
    const xs = Array.from({ length: 8 }, (_, i) => i);
    expect(await vjpOf('slice_3', xs, [8], (x) => slice(x, { starts: [1], steps: [3] }), [10, 20, 30])).toEqual([
      0, 10, 0, 0, 20, 0, 0, 30,
    ]);
    expect(await vjpOf('slice_m3', xs, [8], (x) => slice(x, { starts: [6], steps: [-3] }), [10, 20, 30])).toEqual([
      30, 0, 0, 20, 0, 0, 10, 0,
    ]);
  });
  test('pad with negative pads: the cropped elements get 0, the added ones are dropped', async () => {
    // y = [x1, x2, x3, x4, 0, 0] for x of length 5 and pads [-1, 2]
    const dx = await vjpOf('pad_neg', [5, 6, 7, 8, 9], [5], (x) => pad(x, [-1, 2]), [1, 2, 3, 4, 5, 6]);
    expect(dx).toEqual([0, 1, 2, 3, 4]);
  });
  test("softmax: the gradient of Σ softmax is 0; CumSum's adjoint is the reversed sum", async () => {
    const s = await vjpOf('softmax_sum', [0.3, -1, 2], [3], (x) => softmax(x), [1, 1, 1]);
    for (const v of s) expect(Math.abs(v)).toBeLessThan(1e-15);
    expect(
      await vjpOf('cumsum_adj', [1, 2, 3, 4], [4], (x) => cumsum(x, 0, { exclusive: true }), [1, 10, 100, 1000]),
    ).toEqual([1110, 1100, 1000, 0]);
  });
});

describe('shape rules name the op and the offending values', () => {
  const g = new Graph('errors');
  const x = g.input('x', 'float32', [2, 3, 4]);
  test('reductions', () => {
    expect(() => reduceMean(x, [3])).toThrow(/ReduceMean at '<root>': axis 3 is out of range for rank 3/);
    expect(() => reduceMax(x, [1, -2])).toThrow(/repeated axes \[1,1\]/);
    expect(() => argMax(x, { axis: -4 })).toThrow(/ArgMax .*axis -1 is out of range for rank 3/);
    expect(() => softmax(g.input('i', 'int64', [3]))).toThrow(/Softmax .*dtype int64 is not a float type/);
    expect(() => cumsum(g.input('h', 'float16', [3]), 0)).toThrow(/CumSum .*dtype float16 is not supported/);
  });
  test('shape ops', () => {
    expect(() => reshape(x, [5, 5])).toThrow(/cannot reshape 24 elements to \[5,5\]/);
    expect(() => transpose(x, [0, 0, 1])).toThrow(/perm \[0,0,1\] is not a permutation/);
    expect(() => concat([x, g.input('y', 'float32', [2, 4, 4])], 2)).toThrow(
      /shapes \[2,3,4\] and \[2,4,4\] differ outside axis 2/,
    );
    expect(() => split(x, { axis: 1, sizes: [1, 1] })).toThrow(
      /Split .*sizes \[1,1\] add up to 2, but axis 1 has length 3/,
    );
    expect(() => pad(x, [0, -3, 0, 0, -1, 0])).toThrow(/Pad .*crop more than the input has/);
    expect(() => expandTo(x, [3, 3, 4])).toThrow(/shapes \[2,3,4\] and \[3,3,4\] do not broadcast/);
    expect(() => squeeze(x, [1])).toThrow(/Squeeze .*axis 1 has length 3, not 1/);
    expect(() => unsqueeze(x, [4, 4])).toThrow(/Unsqueeze .*repeated axes \[4,4\]/);
    expect(() => slice(x, { axes: [1, 1], starts: [0, 1], ends: [1, 2] })).toThrow(/Slice .*repeated axes \[1,1\]/);
  });
  test('the empty-tensor reshape needs opset 14 (allowzero)', async () => {
    const h = new Graph('zero');
    h.output('y', reshape(h.input('x', 'float32', [0, 3]), [3, 0]));
    await expect(runGraph(h, {}, { opset: 13 })).rejects.toThrow(/Reshape .*needs ONNX opset >= 14/);
  });
});

test('every exported model passes the ONNX checker', () => {
  expect(checkRecordedModels()).toEqual([]);
});
