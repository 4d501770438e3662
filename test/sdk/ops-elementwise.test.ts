import { grad } from '../../sdk/autodiff';
import { Graph } from '../../sdk/graph';
import { abs, clip, leakyRelu, less, logicalNot, maximum, minimum, pow, reduceSum, relu, sqrt } from '../../sdk/ops';
import { ELEMENTWISE } from '../../sdk/ops/group-elementwise';
import { ELEMENTWISE_PRIMS, type ElementwisePrim } from '../../sdk/ops/names';
import type { Tensor } from '../../sdk/tensor';
import { ELEMENTWISE_GRAD_CASES } from '../cases/elementwise.grad';
import { ELEMENTWISE_PRIM_CASES } from '../cases/elementwise.prim';
import { gradCheck, type InputSpec } from '../helpers/gradcheck';
import { checkRecordedModels } from '../helpers/onnx-checker';
import { primCheck } from '../helpers/primcheck';
import { runGraph } from '../helpers/run';

const rows = <C extends { label?: string }>(table: { [K in ElementwisePrim]: C[] }) =>
  ELEMENTWISE_PRIMS.flatMap((p) => table[p].map((c) => [`${p} ${c.label ?? ''}`.trim(), p, c] as const));

/** The primitives a case's build function applies (it must include the one the row is filed under). */
function primsBuilt(inputs: InputSpec[], build: (xs: Tensor[]) => Tensor | Tensor[], dtype = 'float32'): Set<string> {
  const g = new Graph('probe');
  build(inputs.map((s, i) => g.input(`x${i}`, s.dtype ?? (dtype as 'float32'), s.shape)));
  return new Set(g.nodes.map((n) => n.prim));
}

test('the registry and both tables cover every elementwise primitive, and each row applies its primitive', () => {
  for (const p of ELEMENTWISE_PRIMS) {
    expect(ELEMENTWISE[p].name).toBe(p);
    expect(ELEMENTWISE_PRIM_CASES[p].length).toBeGreaterThan(0);
    expect(ELEMENTWISE_GRAD_CASES[p].length).toBeGreaterThan(0);
  }
  for (const [name, p, c] of rows(ELEMENTWISE_PRIM_CASES))
    expect([name, primsBuilt(c.inputs, c.build).has(p)]).toEqual([name, true]);
  for (const [name, p, c] of rows(ELEMENTWISE_GRAD_CASES))
    expect([name, primsBuilt(c.inputs, c.build, c.dtype ?? 'float64').has(p)]).toEqual([name, true]);
});

test.each(rows(ELEMENTWISE_PRIM_CASES))('forward: %s', async (_name, _p, c) => {
  await primCheck(c);
});

test.each(rows(ELEMENTWISE_GRAD_CASES))('gradient: %s', async (_name, _p, c) => {
  const r = await gradCheck(c);
  expect(r.rel).toBeLessThanOrEqual(r.tol);
});

/** Gradients of sum(build(xs)) at the given float64 inputs (each 1-D). */
async function gradsAt(build: (xs: Tensor[]) => Tensor, inputs: number[][]): Promise<number[][]> {
  const g = new Graph('hand');
  const xs = inputs.map((v, i) => g.input(`x${i}`, 'float64', [v.length]));
  grad(reduceSum(build(xs), [0]), xs).forEach((t, i) => g.output(`g${i}`, t));
  const feeds = Object.fromEntries(
    inputs.map((v, i) => [`x${i}`, { dtype: 'float64' as const, shape: [v.length], data: Float64Array.from(v) }]),
  );
  const out = await runGraph(g, feeds);
  return inputs.map((_, i) => Array.from(out[`g${i}`].data as Float64Array));
}

describe('subgradients at kinks (PyTorch conventions)', () => {
  test('clip passes the gradient at x == min and x == max (inclusive)', async () => {
    const [dx] = await gradsAt(([x]) => clip(x, { min: -0.5, max: 0.5 }), [[-0.8, -0.5, 0, 0.5, 0.7]]);
    expect(dx).toEqual([0, 1, 1, 1, 0]);
  });

  test('relu has slope 0 and leaky relu slope alpha at x == 0', async () => {
    expect(await gradsAt(([x]) => relu(x), [[-1, 0, 2]])).toEqual([[0, 0, 1]]);
    const [dx] = await gradsAt(([x]) => leakyRelu(x, { alpha: 0.2 }), [[-1, 0, 2]]);
    // The ONNX alpha attribute is a float32: the slope is fround(0.2), in forward and backward alike.
    expect(dx).toEqual([Math.fround(0.2), Math.fround(0.2), 1]);
  });

  test('maximum and minimum split the gradient 0.5/0.5 on ties', async () => {
    const a = [1, 2, 3];
    const b = [1, 0, 5];
    expect(await gradsAt(([x, y]) => maximum(x, y), [a, b])).toEqual([
      [0.5, 1, 0],
      [0.5, 0, 1],
    ]);
    expect(await gradsAt(([x, y]) => minimum(x, y), [a, b])).toEqual([
      [0.5, 0, 1],
      [0.5, 1, 0],
    ]);
  });

  test('abs has gradient 0 at x == 0', async () => {
    expect(await gradsAt(([x]) => abs(x), [[-2, 0, 3]])).toEqual([[-1, 0, 1]]);
  });

  test('pow at a == 0: da = b·0^(b−1) (0 when b == 0), db = 0', async () => {
    const [da, db] = await gradsAt(
      ([a, b]) => pow(a, b),
      [
        [0, 0, 2, 0],
        [2, 1, 3, 0],
      ],
    );
    expect(da).toEqual([0, 1, 12, 0]);
    expect(db[0]).toBe(0);
    expect(db[1]).toBe(0);
    expect(db[2]).toBeCloseTo(8 * Math.log(2), 12);
    expect(db[3]).toBe(0);
  });
});

test('shape rules reject bad inputs with a message naming the op and the values', () => {
  const g = new Graph('bad');
  const x = g.input('x', 'float32', [2, 3]);
  const k = g.input('k', 'int64', [3]);
  expect(() => clip(x, { min: 1, max: 0 })).toThrow(/Clip at '<root>': min 1 is greater than max 0/);
  expect(() => clip(k, { max: 2.5 })).toThrow(/Clip .*bound 2.5 is not an integer but x is int64/);
  expect(() => sqrt(k)).toThrow(/Sqrt .*dtype int64 not supported/);
  expect(() => logicalNot(x)).toThrow(/Not .*dtype float32 not supported/);
  expect(() => less(x, k)).toThrow(/Less .*dtypes differ: float32 vs int64/);
  expect(() => maximum(x, g.input('y', 'float32', [4]))).toThrow(/Max .*shapes \[2,3\] and \[4\] do not broadcast/);
  expect(() => leakyRelu(x, { alpha: NaN })).toThrow(/LeakyRelu .*alpha must be a finite number/);
});

test('every exported model passes the ONNX checker (full_check)', () => {
  expect(checkRecordedModels()).toEqual([]);
});
