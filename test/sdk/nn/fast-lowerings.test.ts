/**
 * The faster lowerings of the transformer example's step (docs/performance.md, "SDK examples: the transformer
 * step") against the composed forms they replaced, in float64: same values and gradients to rounding. Their
 * finite-difference checks are in test/cases/nn.grad.ts (MatMul), nn/seq-modules.test.ts (layerNorm) and
 * test/cases/elementwise.grad.ts (every broadcasting op's VJP goes through unbroadcast).
 */
import { F } from '../../../sdk';
import { grad } from '../../../sdk/autodiff';
import { Graph } from '../../../sdk/graph';
import { add, div, matmul, mT, mul, reduceMean, reduceSum, reshape, sqrt, sub, unbroadcast } from '../../../sdk/ops';
import type { NamedArray } from '../../../sdk/state';
import type { Tensor } from '../../../sdk/tensor';
import { buildTrainStep } from '../../../sdk/train';
import { runGraph } from '../../helpers/run';

const f64 = (shape: number[], phase: number): NamedArray => ({
  dtype: 'float64',
  shape,
  data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 1.3 + phase) * 2),
});

/** The largest |a − b| over every output pair `new.k` / `old.k`, and the largest |old|. */
function gap(out: Record<string, NamedArray>): { err: number; scale: number } {
  let err = 0;
  let scale = 0;
  for (const k of Object.keys(out).filter((k) => k.startsWith('new.'))) {
    const [a, b] = [out[k].data, out[`old.${k.slice(4)}`].data];
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) {
      err = Math.max(err, Math.abs(Number(a[i]) - Number(b[i])));
      scale = Math.max(scale, Math.abs(Number(b[i])));
    }
  }
  return { err, scale };
}

test('layerNorm (Standardize primitive) equals the composed ReduceMean/Sub/Div form, values and gradients', async () => {
  const g = new Graph('ln_fast');
  const x = g.input('x', 'float64', [2, 3, 4, 5]);
  const w = g.input('w', 'float64', [4, 5]);
  const b = g.input('b', 'float64', [4, 5]);
  const dy = g.input('dy', 'float64', [2, 3, 4, 5]);
  const composed = (t: Tensor): Tensor => {
    const xc = sub(t, reduceMean(t, [2, 3], { keepdims: true }));
    return add(mul(div(xc, sqrt(add(reduceMean(mul(xc, xc), [2, 3], { keepdims: true }), 1e-5))), w), b);
  };
  for (const [tag, y] of [
    ['new', F.layerNorm(x, [4, 5], w, b, 1e-5)],
    ['old', composed(x)],
  ] as const) {
    g.output(`${tag}.y`, y);
    const [dx, dw, db] = grad(reduceSum(mul(y, dy), [0, 1, 2, 3]), [x, w, b]);
    g.output(`${tag}.dx`, dx);
    g.output(`${tag}.dw`, dw);
    g.output(`${tag}.db`, db);
  }
  const out = await runGraph(g, {
    x: f64([2, 3, 4, 5], 0),
    w: f64([4, 5], 1),
    b: f64([4, 5], 2),
    dy: f64([2, 3, 4, 5], 3),
  });
  const { err, scale } = gap(out);
  expect(scale).toBeGreaterThan(0.5);
  expect(err).toBeLessThan(1e-12 * scale);
});

test("MatMul's dB for a matrix B under a batched A equals the batched product + ReduceSum it replaced", async () => {
  const g = new Graph('matmul_fast');
  const a = g.input('a', 'float64', [2, 3, 4, 6]);
  const b = g.input('b', 'float64', [6, 5]);
  const dy = g.input('dy', 'float64', [2, 3, 4, 5]);
  const [db] = grad(reduceSum(mul(matmul(a, b), dy), [0, 1, 2, 3]), [b]);
  g.output('new.db', db);
  g.output('old.db', unbroadcast(matmul(mT(a), dy), b.dims));
  const out = await runGraph(g, { a: f64([2, 3, 4, 6], 0), b: f64([6, 5], 1), dy: f64([2, 3, 4, 5], 2) });
  const { err, scale } = gap(out);
  expect(scale).toBeGreaterThan(1);
  expect(err).toBeLessThan(1e-12 * scale);
});

test('unbroadcast over leading axes (ones·dy MatMul) equals the ReduceSum it replaced', async () => {
  const g = new Graph('unbroadcast_fast');
  const dy = g.input('dy', 'float64', [2, 3, 4, 5]);
  for (const [k, shape, axes] of [
    ['bias', [5], [0, 1, 2]],
    ['rows', [4, 5], [0, 1]],
    ['keepdim', [1, 3, 4, 5], [0]],
  ] as const) {
    g.output(`new.${k}`, unbroadcast(dy, shape));
    g.output(`old.${k}`, reshape(reduceSum(dy, [...axes], { keepdims: true }), shape));
  }
  const out = await runGraph(g, { dy: f64([2, 3, 4, 5], 0) });
  expect(out['new.bias'].shape).toEqual([5]);
  const { err, scale } = gap(out);
  expect(scale).toBeGreaterThan(1);
  expect(err).toBeLessThan(1e-12 * scale);
});

describe('the optimizer waits for the whole backward pass (memory; sdk/train.ts, afterAllGradients)', () => {
  /** Every tensor `t` depends on, itself included. */
  const ancestors = (t: Tensor, seen = new Map<number, Tensor>()): Map<number, Tensor> => {
    if (seen.has(t.id)) return seen;
    seen.set(t.id, t);
    if (t.source.kind === 'op') for (const i of t.source.node.inputs) if (i) ancestors(i, seen);
    return seen;
  };
  test.each([
    ['with clipping (through the global norm)', 1.0],
    ['without clipping (through the exact zeros)', undefined],
  ])('%s', (_, clipGradNorm) => {
    const g = new Graph('waits');
    const x = g.input('x', 'float32', [3, 4]);
    const y = matmul(matmul(x, g.param('w1', 'float32', [4, 4])), g.param('w2', 'float32', [4, 2]));
    buildTrainStep(g, reduceSum(mul(y, y), [0, 1]), {}, { optimizer: { kind: 'adamw' }, clipGradNorm });
    for (const name of ['new.w1', 'new.w2']) {
      // Only the weight gradients' MatMuls are [4, 4] (dW1) and [4, 2] (dW2); the forward's are [3, ·].
      const shapes = [...ancestors(g.outputs.get(name)!).values()]
        .filter((t) => t.source.kind === 'op' && t.source.node.prim === 'MatMul')
        .map((t) => t.dims.join());
      expect(shapes).toEqual(expect.arrayContaining(['4,4', '4,2']));
    }
  });
});
