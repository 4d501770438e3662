/**
 * Conv3d given a list of inputs convolves their channel concatenation without building it (the U-Net's
 * up-blocks use it): same outputs and gradients as the concatenation in ORT, no concatenated tensor in the
 * training graph, and a clear error when the parts' channels do not add up.
 */
import { grad } from '../../sdk/autodiff';
import { Graph } from '../../sdk/graph';
import * as nn from '../../sdk/nn';
import { concat, mul, reduceSum, sin } from '../../sdk/ops';
import type { Tensor } from '../../sdk/tensor';
import { relErr } from '../helpers/compare';
import { graphTensorSizes } from '../../runtime/engine/gpu-limits';
import { Up } from '../../graphs/unet';
import { makeInput } from '../helpers/gradcheck';
import { Rng } from '../helpers/rng';
import { runGraph } from '../helpers/run';

/** conv(parts) or conv(concat(parts)), a non-linear loss, and its gradients to both parts and both parameters. */
function build(asParts: boolean) {
  const g = new Graph(asParts ? 'parts' : 'concat');
  const conv = new nn.Conv3d(8, 4, 3, { padding: 1 });
  const a = g.input('a', 'float32', [2, 3, 5, 6, 7]);
  const b = g.input('b', 'float32', [2, 5, 5, 6, 7]);
  const y = conv.call(asParts ? [a, b] : concat([a, b], 1));
  const loss = reduceSum(mul(sin(y), y), [0, 1, 2, 3, 4]);
  const params = [...g.params.values()];
  const grads = grad(loss, [a, b, ...params]);
  g.output('y', y);
  ['a', 'b', ...params.map((p) => p.name)].forEach((n, i) => g.output(`d_${n}`, grads[i]));
  return { g, weights: conv.initStateDict(5) };
}

test('a list of inputs gives the outputs and gradients of their concatenation', async () => {
  const rng = new Rng(11);
  const feeds = {
    a: makeInput({ shape: [2, 3, 5, 6, 7] }, 'float32', rng),
    b: makeInput({ shape: [2, 5, 5, 6, 7] }, 'float32', rng),
  };
  const [parts, whole] = [build(true), build(false)];
  const p = await runGraph(parts.g, feeds, { weights: parts.weights });
  const w = await runGraph(whole.g, feeds, { weights: whole.weights });
  expect(Object.keys(p).sort()).toEqual(['d_a', 'd_b', 'd_bias', 'd_weight', 'y']);
  for (const k of Object.keys(w)) {
    expect(p[k].shape).toEqual(w[k].shape);
    expect(relErr(p[k], w[k])).toBeLessThan(1e-5);
  }
});

test("an up-block's training graph holds no [skip, upsampled] concatenation", () => {
  const g = new Graph('up');
  const up = new Up(24, 8);
  // 16³: above the 8³ where the weight gradient switches to an im2col matrix (conv-grad.ts), whose 27 stacked
  // windows are bigger than any concatenation.
  const low = g.input('low', 'float32', [2, 16, 8, 8, 8]);
  const skip = g.input('skip', 'float32', [2, 8, 16, 16, 16]);
  const y = up.call(low, skip);
  const grads = grad(reduceSum(mul(y, y), [0, 1, 2, 3, 4]), [...g.params.values()] as Tensor[]);
  grads.forEach((t, i) => g.output(`g${i}`, t));
  const concatBytes = 2 * 24 * 16 * 16 * 16 * 4;
  const sizes = graphTensorSizes(g);
  expect(sizes.length).toBeGreaterThan(50);
  expect(Math.max(...sizes.map((t) => t.bytes))).toBeLessThan(concatBytes);
});

test("parts whose channels do not add up to the convolution's input name the module", () => {
  const g = new Graph('t');
  class Net extends nn.Module {
    readonly c = this.addModule('c', new nn.Conv3d(8, 4, 3));
    forward(x: Tensor[]): Tensor {
      return this.c.call(x);
    }
  }
  const parts = [g.input('a', 'float32', [1, 3, 5, 5, 5]), g.input('b', 'float32', [1, 4, 5, 5, 5])];
  expect(() => new Net().call(parts)).toThrow(
    'c: inputs with 3 + 4 channels cannot stand for the 8-channel input of Conv3d(8, 4)',
  );
});
