/**
 * Recomputation of cheap forward tensors in the backward pass (sdk/remat.ts) and the optimizer placed after
 * the whole backward (sdk/train.ts): gradients equal those through kept tensors (which every primitive's
 * gradient check covers; the GVSL parity tests cover the whole model), the backward no longer reads the forward's
 * activations (it reads copies rebuilt after their cotangent), and the barrier zero is exactly 0.
 */
import { grad } from '../../sdk/autodiff';
import { liveNodes } from '../../sdk/graph';
import { Graph } from '../../sdk/graph';
import * as nn from '../../sdk/nn';
import { add, conv, leakyRelu, mul, reduceSum, sin } from '../../sdk/ops';
import { recomputable, zeroAfter } from '../../sdk/remat';
import { buildTrainStep } from '../../sdk/train';
import type { Tensor } from '../../sdk/tensor';
import { makeInput } from '../helpers/gradcheck';
import { Rng } from '../helpers/rng';
import { runGraph } from '../helpers/run';
import { relErr } from '../helpers/compare';

/** Conv → GroupNorm → LeakyReLU → Conv, as in the U-Net's DoubleConv. */
class Block extends nn.Module {
  readonly body = this.addModule(
    'body',
    new nn.Sequential(
      new nn.Conv3d(2, 4, 3, { padding: 1 }),
      new nn.GroupNorm(2, 4),
      new nn.LeakyReLU(0.2),
      new nn.Conv3d(4, 2, 3, { padding: 1 }),
    ),
  );
  forward(x: Tensor): Tensor {
    return this.body.call(x);
  }
}

test('gradients through recomputed tensors equal those through kept ones', async () => {
  const attrs = { pads: [1, 1, 1, 1, 1, 1], strides: [1, 1, 1], dilations: [1, 1, 1], group: 1 };
  const shapes = [
    [1, 2, 3, 4, 5],
    [4, 2, 3, 3, 3],
    [1, 4, 1, 1, 1],
    [2, 4, 3, 3, 3],
  ];
  const rng = new Rng(3);
  const feeds = Object.fromEntries(shapes.map((sh, i) => [`x${i}`, makeInput({ shape: sh }, 'float32', rng)]));
  const run = (remat: boolean) => {
    const g = new Graph(remat ? 'remat' : 'kept');
    const [x, w1, s, w2] = shapes.map((sh, i) => g.input(`x${i}`, 'float32', sh));
    const h = conv(x, w1, null, attrs);
    const a = remat ? recomputable(mul(h, s), [h], ([t], zero) => mul(t, add(s, zero))) : mul(h, s);
    const b = remat ? new nn.LeakyReLU(0.2).forward(a) : leakyRelu(a, { alpha: 0.2 });
    const y = conv(b, w2, null, attrs);
    grad(reduceSum(mul(sin(y), y), [0, 1, 2, 3, 4]), [x, w1, s, w2]).forEach((t, i) => g.output(`g${i}`, t));
    expect(g.nodes.filter((n) => n.prim === 'LeakyRelu').length).toBe(remat ? 2 : 1);
    return runGraph(g, feeds);
  };
  const [r, k] = await Promise.all([run(true), run(false)]);
  for (const name of ['g0', 'g1', 'g2', 'g3']) {
    expect(Math.max(...(k[name].data as Float32Array).map(Math.abs))).toBeGreaterThan(0);
    expect(relErr(r[name], k[name])).toBeLessThan(1e-6);
  }
});

test("the backward reads recomputed copies, not the forward's LeakyReLU output", () => {
  const g = new Graph('b');
  const x = g.input('x', 'float32', [1, 2, 4, 4, 4]);
  const y = new Block().call(x);
  const act = g.nodes.find((n) => n.prim === 'LeakyRelu')!.outputs[0];
  const [dx] = grad(reduceSum(mul(y, y), [0, 1, 2, 3, 4]), [x]);
  g.output('dx', dx);
  const readers = g.nodes.filter((n) => n.inputs.includes(act)).map((n) => n.path);
  // Only the forward's second Conv reads it; the backward's LeakyReLU mask and weight gradient read a copy.
  expect(readers).toEqual(['body.3']);
  expect(g.nodes.filter((n) => n.prim === 'LeakyRelu').length).toBe(2);
});

test('the barrier zero is exactly 0 for finite, NaN and infinite cotangents', async () => {
  const g = new Graph('z');
  const d = g.input('d', 'float32', [3]);
  g.output('z', zeroAfter(d));
  for (const v of [2.5, NaN, Infinity, -Infinity]) {
    const out = await runGraph(g, { d: { dtype: 'float32', shape: [3], data: new Float32Array([v, 1, 1]) } });
    expect(Object.is(out.z.data[0], 0)).toBe(true);
  }
});

test("every parameter's update waits for every gradient", () => {
  const g = new Graph('t');
  const x = g.input('x', 'float32', [1, 2, 4, 4, 4]);
  const y = new Block().call(x);
  buildTrainStep(g, reduceSum(mul(y, y), [0, 1, 2, 3, 4]), {}, { optimizer: { kind: 'adam' } });
  const firstConvGrad = g.nodes.filter((n) => n.path.startsWith('grad.body.0')).map((n) => n.outputs[0]);
  expect(firstConvGrad.length).toBeGreaterThan(0);
  // The last layer's update (its gradient is the backward's first) depends on the first layer's gradient nodes.
  const update = [...g.outputs].find(([k]) => k === 'new.body.3.weight')![1];
  const ancestors = new Set(liveNodes(g, [update]).flatMap((n) => n.outputs));
  expect(firstConvGrad.some((t) => ancestors.has(t))).toBe(true);
});
