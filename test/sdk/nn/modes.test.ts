/**
 * train()/eval(), Dropout's seeded masks and the training-step contract for buffers and the dropout seed
 * (docs/nn.md): BatchNorm's running statistics are inputs `<key>` and outputs `new.<key>` with no gradient
 * or optimizer state; `dropout_seed` is an int32 input; a trainer that carries new.<key> forward works.
 */
import { grad } from '../../../sdk/autodiff';
import { Graph } from '../../../sdk/graph';
import * as nn from '../../../sdk/nn';
import * as F from '../../../sdk/functional';
import { mean, mul, reduceSum } from '../../../sdk/ops';
import type { NamedArray } from '../../../sdk/state';
import type { Tensor } from '../../../sdk/tensor';
import { buildTrainStep } from '../../../sdk/train';
import { exportModel } from '../../../sdk/export';
import { runGraph } from '../../helpers/run';
import { Rng } from '../../helpers/rng';

const f32 = (shape: number[], data: ArrayLike<number>): NamedArray => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from(data),
});
const seed = (v: number): NamedArray => ({ dtype: 'int32', shape: [], data: Int32Array.from([v]) });

class Net extends nn.Module {
  readonly conv = this.addModule('conv', new nn.Conv2d(2, 3, 3, { padding: 1, bias: false }));
  readonly bn = this.addModule('bn', new nn.BatchNorm2d(3));
  readonly drop = this.addModule('drop', new nn.Dropout(0.5));
  forward(x: Tensor): Tensor {
    return this.drop.call(this.bn.call(this.conv.call(x)));
  }
}

test('train() and eval() set the mode of every child and return the module', () => {
  const m = new Net();
  expect([...m.modules()].every((c) => c.training)).toBe(true);
  expect(m.eval()).toBe(m);
  expect([...m.modules()].map((c) => c.training)).toEqual([false, false, false, false]);
  m.train();
  expect(m.bn.training && m.drop.training).toBe(true);
});

test('eval graph: no dropout_seed input, no buffer updates, running statistics are read', () => {
  const g = new Graph('eval');
  new Net().eval().call(g.input('x', 'float32', [2, 2, 4, 4]));
  expect(g.inputs.map((t) => t.name)).toEqual(['x']);
  expect(g.bufferUpdates.size).toBe(0);
  expect([...g.buffers]).toEqual(['bn.running_mean', 'bn.running_var']);
});

test('training step: buffers are inputs and new.<key> outputs without gradient or optimizer state; the seed is an int32 input', () => {
  const g = new Graph('step');
  const x = g.input('x', 'float32', [2, 2, 4, 4]);
  const y = new Net().call(x);
  const step = buildTrainStep(g, mean(mul(y, y)), {}, { optimizer: { kind: 'adam' } });
  expect(step.trained).toEqual(['conv.weight', 'bn.weight', 'bn.bias']);
  expect(step.buffers).toEqual(['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
  expect(step.seedInput).toBe('dropout_seed');
  expect([...step.stateNames.keys()]).toEqual(step.trained);
  const outs = [...g.outputs.keys()];
  for (const b of step.buffers) expect(outs).toContain(`new.${b}`);
  expect(outs.some((o) => o.includes('adam') && o.includes('running'))).toBe(false);
  const { model } = exportModel(g, { params: 'inputs' });
  expect(model.length).toBeGreaterThan(0);
  expect(g.params.get('bn.num_batches_tracked')!.dtype).toBe('int64');
});

test("two training steps carried forward: running statistics follow PyTorch's update rule", async () => {
  const g = new Graph('bnstep');
  const x = g.input('x', 'float32', [4, 2, 3]);
  const bn = new nn.BatchNorm1d(2);
  const y = bn.call(x);
  buildTrainStep(g, reduceSum(y, [0, 1, 2]), {}, { optimizer: { kind: 'sgd' } });
  const rng = new Rng(1);
  let state: Record<string, NamedArray> = Object.fromEntries([...bn.initStateDict(0)].map(([k, v]) => [k, v]));
  let expectMean = [0, 0];
  let expectVar = [1, 1];
  for (let s = 1; s <= 2; s++) {
    const xs = rng.array(24, -2, 3);
    const feeds: Record<string, NamedArray> = {
      x: f32([4, 2, 3], xs),
      lr: f32([], [0.1]),
      step: f32([], [s]),
      ...state,
    };
    const out = await runGraph(g, feeds, { params: 'inputs' });
    for (let c = 0; c < 2; c++) {
      const v = [0, 1, 2, 3].flatMap((n) => [0, 1, 2].map((l) => xs[n * 6 + c * 3 + l]));
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const unbiased = v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1);
      expectMean[c] = 0.9 * expectMean[c] + 0.1 * m;
      expectVar[c] = 0.9 * expectVar[c] + 0.1 * unbiased;
    }
    expect(
      Array.from(out['new.running_mean'].data as Float32Array)
        .map((v, i) => v - expectMean[i])
        .every((d) => Math.abs(d) < 1e-5),
    ).toBe(true);
    expect(
      Array.from(out['new.running_var'].data as Float32Array)
        .map((v, i) => v - expectVar[i])
        .every((d) => Math.abs(d) < 1e-5),
    ).toBe(true);
    expect(out['new.num_batches_tracked'].data[0]).toBe(BigInt(s));
    // The generic trainer's rule: every new.<key> becomes input <key> of the next step.
    state = Object.fromEntries(Object.keys(state).map((k) => [k, out[`new.${k}`]]));
    expectMean = [...expectMean];
    expectVar = [...expectVar];
  }
});

describe('dropout', () => {
  const build = (p: number, fn: typeof F.dropout = F.dropout, shape = [4, 8, 16, 16]) => {
    const g = new Graph('drop');
    const x = g.input('x', 'float32', shape);
    g.output('y', fn(x, p, true));
    return g;
  };
  const ones = (shape: number[]) => f32(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1));

  test('keeps each element with probability 1 − p, scaled by 1/(1 − p); reproducible per seed, different across seeds', async () => {
    const g = build(0.3);
    const a = await runGraph(g, { x: ones([4, 8, 16, 16]), dropout_seed: seed(11) });
    const b = await runGraph(g, { x: ones([4, 8, 16, 16]), dropout_seed: seed(11) });
    const c = await runGraph(g, { x: ones([4, 8, 16, 16]), dropout_seed: seed(12) });
    const ya = Array.from(a.y.data as Float32Array);
    expect(new Set(ya.map((v) => v.toFixed(5)))).toEqual(new Set(['0.00000', (1 / 0.7).toFixed(5)]));
    const kept = ya.filter((v) => v > 0).length / ya.length;
    expect(Math.abs(kept - 0.7)).toBeLessThan(0.02); // 8192 elements: σ ≈ 0.005
    expect(Array.from(b.y.data as Float32Array)).toEqual(ya);
    const yc = Array.from(c.y.data as Float32Array);
    const same = yc.filter((v, i) => v > 0 === ya[i] > 0).length / ya.length;
    expect(same).toBeLessThan(0.65); // independent masks agree on 0.7² + 0.3² = 58%
    // Neighbouring elements are not correlated (the hash mixes consecutive indices).
    const pairs = ya.slice(1).filter((v, i) => v > 0 === ya[i] > 0).length / (ya.length - 1);
    expect(Math.abs(pairs - 0.58)).toBeLessThan(0.03);
  });

  test('Dropout2d zeroes whole channels', async () => {
    const g = build(0.5, F.dropout2d, [4, 16, 3, 3]);
    const y = Array.from((await runGraph(g, { x: ones([4, 16, 3, 3]), dropout_seed: seed(5) })).y.data as Float32Array);
    const channels = Array.from({ length: 64 }, (_, k) => new Set(y.slice(k * 9, k * 9 + 9)));
    expect(channels.every((s) => s.size === 1)).toBe(true);
    const kept = channels.filter((s) => [...s][0] > 0).length;
    expect(kept).toBeGreaterThan(16);
    expect(kept).toBeLessThan(48);
  });

  test('two Dropout modules with one seed draw different masks; the gradient is the mask', async () => {
    const g = new Graph('two');
    const x = g.input('x', 'float32', [1, 256]);
    const d1 = new nn.Sequential(new nn.Dropout(0.5), new nn.Dropout(0.5));
    const [a, b] = d1.layers.map((m) => m.call(x) as Tensor);
    g.output('a', a);
    g.output('b', b);
    const out = await runGraph(g, { x: ones([1, 256]), dropout_seed: seed(3) });
    const ma = Array.from(out.a.data as Float32Array);
    expect(ma).not.toEqual(Array.from(out.b.data as Float32Array));

    const gg = new Graph('grad');
    const xx = gg.input('x', 'float32', [1, 256]);
    const yy = new nn.Dropout(0.5).call(xx);
    gg.output('y', yy);
    gg.output('dx', grad(reduceSum(yy, [0, 1]), [xx])[0]);
    const r = await runGraph(gg, { x: f32([1, 256], new Rng(2).array(256, -1, 1)), dropout_seed: seed(3) });
    const y = Array.from(r.y.data as Float32Array);
    const dx = Array.from(r.dx.data as Float32Array);
    expect(dx.every((v, i) => (y[i] === 0 ? v === 0 : Math.abs(v - 2) < 1e-6))).toBe(true);
  });

  test('eval mode and p = 0 are the identity; p outside [0, 1] is refused', () => {
    const g = new Graph('id');
    const x = g.input('x', 'float32', [2, 3]);
    expect(new nn.Dropout(0.5).eval().call(x)).toBe(x);
    expect(F.dropout(x, 0)).toBe(x);
    expect(() => new nn.Dropout(1.5)).toThrow('dropout probability has to be between 0 and 1, but got 1.5');
  });
});
