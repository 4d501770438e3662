import { grad } from '../../sdk/autodiff';
import { Graph } from '../../sdk/graph';
import { gather, gatherElements, gatherND, scatterAdd, scatterElements, scatterND } from '../../sdk/ops';
import { INDEX } from '../../sdk/ops/group-index';
import { INDEX_PRIMS } from '../../sdk/ops/names';
import { INDEX_GRAD_CASES } from '../cases/index.grad';
import { INDEX_PRIM_CASES } from '../cases/index.prim';
import { gradCheck } from '../helpers/gradcheck';
import { checkRecordedModels } from '../helpers/onnx-checker';
import { primCheck } from '../helpers/primcheck';
import { runGraph } from '../helpers/run';

const f64 = (v: number[]) => ({ dtype: 'float64' as const, shape: [v.length], data: Float64Array.from(v) });
const i64 = (v: number[]) => ({ dtype: 'int64' as const, shape: [v.length], data: BigInt64Array.from(v.map(BigInt)) });

test('INDEX holds every index primitive under its own name', () => {
  expect(Object.keys(INDEX).sort()).toEqual([...INDEX_PRIMS].sort());
  for (const [k, p] of Object.entries(INDEX)) expect(p.name).toBe(k);
});

describe.each(INDEX_PRIMS)('%s', (prim) => {
  test.each(INDEX_PRIM_CASES[prim].map((c) => [c.label ?? '', c] as const))('forward: %s', async (_, c) => {
    await primCheck(c);
  });
  test.each(INDEX_GRAD_CASES[prim].map((c) => [c.label ?? '', c] as const))('gradient: %s', async (_, c) => {
    const r = await gradCheck(c);
    expect(r.rel).toBeLessThanOrEqual(r.tol);
  });
});

test('gather with repeated indices [0, 2, 0]: the gradient sums both picks of x[0]', async () => {
  const g = new Graph('hand');
  const x = g.input('x', 'float64', [4]);
  const i = g.input('i', 'int64', [3]);
  const dy = g.input('dy', 'float64', [3]);
  const [dx] = grad(gather(x, i), [x], { seed: dy });
  g.output('dx', dx);
  const out = await runGraph(g, { x: f64([5, 6, 7, 8]), i: i64([0, 2, 0]), dy: f64([1, 10, 100]) });
  expect(Array.from(out.dx.data as Float64Array)).toEqual([101, 0, 10, 0]);
});

test('scatterND add, then its gradient: d data = dy, d updates = dy at each (repeated) row', async () => {
  const g = new Graph('hand2');
  const x = g.input('x', 'float64', [3]);
  const u = g.input('u', 'float64', [3]);
  const i = g.input('i', 'int64', [3, 1]);
  const dy = g.input('dy', 'float64', [3]);
  const y = scatterND(x, i, u, { reduction: 'add' });
  const [dx, du] = grad(y, [x, u], { seed: dy });
  g.output('y', y);
  g.output('dx', dx);
  g.output('du', du);
  const out = await runGraph(g, {
    x: f64([1, 2, 3]),
    u: f64([10, 20, 30]),
    i: { ...i64([2, 2, -3]), shape: [3, 1] },
    dy: f64([1, 2, 3]),
  });
  expect(Array.from(out.y.data as Float64Array)).toEqual([31, 2, 33]);
  expect(Array.from(out.dx.data as Float64Array)).toEqual([1, 2, 3]);
  expect(Array.from(out.du.data as Float64Array)).toEqual([3, 3, 1]);
});

test('the gather gradient wraps negative indices unless they are constant or promised non-negative', () => {
  const lessNodes = (nonNegative: boolean, constant: boolean) => {
    const g = new Graph('wrap');
    const x = g.input('x', 'float32', [5, 3]);
    const i = constant ? g.constant([0, 4, 0], 'int64', [3]) : g.input('i', 'int64', [3]);
    grad(gather(x, i, { nonNegative }), [x], { seed: g.input('dy', 'float32', [3, 3]) });
    return g.nodes.filter((n) => n.prim === 'Less').length;
  };
  expect([lessNodes(false, false), lessNodes(true, false), lessNodes(false, true)]).toEqual([1, 0, 0]);
});

describe('shape rules and opsets', () => {
  const g = new Graph('errors');
  const x = g.input('x', 'float32', [4, 3]);
  const fi = g.input('fi', 'float32', [2]);
  const i1 = g.input('i1', 'int64', [2, 1]);
  const i3 = g.input('i3', 'int64', [2, 3]);
  test('float indices are rejected, naming the op', () => {
    expect(() => gather(x, fi)).toThrow(/Gather at '<root>': indices must be int32 or int64, got float32/);
  });
  test('axis out of range', () => {
    expect(() => gather(x, i1, { axis: 2 })).toThrow(/axis 2 is out of range for rank 2/);
    expect(() => gatherElements(x, i1, { axis: -3 })).toThrow(/axis -1 is out of range for rank 2/);
  });
  test('index tuples longer than the data rank', () => {
    expect(() => gatherND(x, i3)).toThrow(/index tuples of length 3/);
  });
  test('updates of the wrong shape', () => {
    expect(() => scatterND(x, i1, g.input('u', 'float32', [2, 4]))).toThrow(/updates \[2,4\] must have shape \[2,3\]/);
    expect(() => scatterElements(x, i1, g.input('u2', 'float32', [2, 2]))).toThrow(
      /updates \[2,2\] and indices \[2,1\] differ/,
    );
    expect(() => scatterAdd(g.input('u3', 'float32', [2, 2]), i1, [4, 3])).toThrow(/scatterAdd .*expects \[2,1,3\]/);
  });
  test("reduction 'add' needs opset 16, and so does a gather's gradient", async () => {
    const h = new Graph('opset');
    const t = h.input('t', 'float32', [4, 3]);
    const j = h.input('j', 'int64', [2, 1]);
    h.output('y', scatterND(t, j, h.input('v', 'float32', [2, 3]), { reduction: 'add' }));
    await expect(runGraph(h, {}, { opset: 15 })).rejects.toThrow(/needs ONNX opset >= 16/);
    const k = new Graph('opset2');
    const s = k.input('s', 'float32', [4, 3]);
    k.output('ds', grad(gather(s, k.input('j', 'int64', [2])), [s], { seed: k.input('dy', 'float32', [2, 3]) })[0]);
    await expect(runGraph(k, {}, { opset: 13 })).rejects.toThrow(/ScatterND .*needs ONNX opset >= 16/);
  });
});

test('every exported model passes the ONNX checker', () => {
  expect(checkRecordedModels()).toEqual([]);
});
