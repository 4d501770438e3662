/**
 * Two SGD (momentum 0.9) training steps of a ResNet-style stem (Conv-BN-ReLU, the 3/2/1 max-pool, global
 * average pool, Linear) equal PyTorch's (fixture: test/data/make_nn_fixtures.py): the losses, every parameter
 * and every BatchNorm buffer after the second step, with the graph's `new.<key>` outputs carried into the
 * next step's `<key>` inputs as docs/nn.md prescribes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type DType, fromNumbers } from '../../../sdk/dtype';
import * as F from '../../../sdk/functional';
import { Graph } from '../../../sdk/graph';
import * as nn from '../../../sdk/nn';
import { mean, relu, square, sub } from '../../../sdk/ops';
import type { NamedArray } from '../../../sdk/state';
import type { Tensor } from '../../../sdk/tensor';
import { buildTrainStep } from '../../../sdk/train';
import { runGraph } from '../../helpers/run';

interface Arr {
  dtype: DType;
  shape: number[];
  data: number[];
}
const FIX = JSON.parse(fs.readFileSync(path.join(__dirname, '../../data/nn/train-steps.json'), 'utf8')) as {
  state: Record<string, Arr>;
  batches: { x: Arr; t: Arr }[];
  losses: number[];
  after: Record<string, Arr>;
};
const named = (a: Arr): NamedArray => ({ dtype: a.dtype, shape: a.shape, data: fromNumbers(a.dtype, a.data) });

class StemNet extends nn.Module {
  readonly conv = this.addModule('conv', new nn.Conv2d(2, 4, 3, { stride: 2, padding: 1, bias: false }));
  readonly bn = this.addModule('bn', new nn.BatchNorm2d(4));
  readonly pool = this.addModule('pool', new nn.MaxPool2d(3, { stride: 2, padding: 1 }));
  readonly gap = this.addModule('gap', new nn.AdaptiveAvgPool2d(1));
  readonly fc = this.addModule('fc', new nn.Linear(4, 3));
  forward(x: Tensor): Tensor {
    return this.fc.call(F.flatten(this.gap.call(this.pool.call(relu(this.bn.call(this.conv.call(x))))), 1));
  }
}

test('two training steps of a Conv-BN-MaxPool(3/2/1) net equal PyTorch, buffers included', async () => {
  const model = new StemNet();
  expect([...model.stateSpecs().keys()]).toEqual(Object.keys(FIX.state));
  const g = new Graph('stem');
  const x = g.input('x', 'float32', FIX.batches[0].x.shape);
  const t = g.input('t', 'float32', FIX.batches[0].t.shape);
  const step = buildTrainStep(
    g,
    mean(square(sub(model.call(x), t))),
    {},
    { optimizer: { kind: 'sgd', momentum: 0.9 } },
  );
  let state: Record<string, NamedArray> = Object.fromEntries(Object.entries(FIX.state).map(([k, a]) => [k, named(a)]));
  for (const k of step.trained)
    state[`sgd.momentum.${k}`] = { ...state[k], data: new Float32Array(state[k].data.length) };
  const losses: number[] = [];
  for (const [i, b] of FIX.batches.entries()) {
    const out = await runGraph(
      g,
      {
        x: named(b.x),
        t: named(b.t),
        lr: named({ dtype: 'float32', shape: [], data: [0.1] }),
        step: named({ dtype: 'float32', shape: [], data: [i + 1] }),
        ...state,
      },
      { params: 'inputs' },
    );
    losses.push(Number(out.loss.data[0]));
    state = Object.fromEntries(Object.keys(state).map((k) => [k, out[`new.${k}`]]));
  }
  losses.forEach((l, i) => expect(Math.abs(l - FIX.losses[i]) / FIX.losses[i]).toBeLessThan(1e-5));
  for (const [k, want] of Object.entries(FIX.after)) {
    const got = state[k];
    const scale = Math.max(1e-6, ...want.data.map(Math.abs));
    const worst = Math.max(...want.data.map((v, i) => Math.abs(Number(got.data[i]) - v)));
    expect({ k, rel: worst / scale < 1e-5 ? 'ok' : worst / scale }).toEqual({ k, rel: 'ok' });
  }
  expect(state['bn.num_batches_tracked'].data[0]).toBe(2n);
});
