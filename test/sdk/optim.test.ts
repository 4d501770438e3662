/**
 * In-graph optimizers against plain TypeScript implementations of torch.optim's update rules
 * (torch/optim/adam.py, adamw.py, sgd.py, single-tensor paths), several steps, fed back through ORT.
 */
import { Graph } from '../../sdk/graph';
import { exportModel } from '../../sdk/export';
import { add, mul, reduceSum } from '../../sdk/ops';
import type { OptimizerSpec } from '../../sdk/optim';
import type { StateDict } from '../../sdk/state';
import { buildTrainStep } from '../../sdk/train';
import { TrainingSession } from '../../runtime/engine/session';
import { Rng } from '../helpers/rng';

/** loss = Σ c·p² + Σ p, so grad = 2·c·p + 1 (a known, parameter-dependent gradient). */
function problem() {
  const g = new Graph('opt');
  const p = g.param('p', 'float32', [5]);
  const c = g.input('c', 'float32', [5]);
  return { g, loss: reduceSum(add(mul(mul(p, p), c), p), [0]) };
}

function referenceSteps(spec: OptimizerSpec, p0: number[], c: number[], lrs: number[]): number[][] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const history: number[][] = [];
  lrs.forEach((lr, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      let g = 2 * c[i] * p[i] + 1;
      if (spec.kind === 'sgd') {
        const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = spec;
        if (weightDecay) g += weightDecay * p[i];
        if (momentum) {
          m[i] = t === 1 ? g : momentum * m[i] + (1 - dampening) * g;
          g = nesterov ? g + momentum * m[i] : m[i];
        }
        p[i] -= lr * g;
        continue;
      }
      const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = spec;
      if (spec.kind === 'adamw') p[i] *= 1 - lr * weightDecay;
      else if (weightDecay) g += weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const bc1 = 1 - beta1 ** t;
      const bc2 = 1 - beta2 ** t;
      const denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + eps;
      p[i] -= (lr / bc1) * (m[i] / denom);
    }
    history.push([...p]);
  });
  return history;
}

const SPECS: [string, OptimizerSpec][] = [
  ['adam', { kind: 'adam' }],
  [
    'adam with L2 weight decay and custom betas',
    { kind: 'adam', beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 },
  ],
  ['adamw', { kind: 'adamw', weightDecay: 0.05 }],
  ['sgd', { kind: 'sgd' }],
  ['sgd momentum + dampening', { kind: 'sgd', momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }],
  ['sgd nesterov', { kind: 'sgd', momentum: 0.9, nesterov: true }],
];

test.each(SPECS)('%s matches torch.optim over 5 steps with a changing lr', async (_label, spec) => {
  const { g, loss } = problem();
  buildTrainStep(g, loss, {}, { optimizer: spec });
  const m = exportModel(g, { params: 'inputs' });
  const rng = new Rng(11);
  const p0 = rng.array(5);
  const c = rng.array(5, 0.5, 2);
  const init: StateDict = new Map([['p', { dtype: 'float32', shape: [5], data: Float32Array.from(p0) }]]);
  const t = await TrainingSession.create(m.model, init);
  const lrs = [0.1, 0.05, 0.05, 0.02, 0.01];
  const want = referenceSteps(spec, p0, c, lrs);
  for (let k = 0; k < lrs.length; k++) {
    await t.step({ c: { dtype: 'float32', shape: [5], data: Float32Array.from(c) } }, lrs[k]);
    const got = Array.from(t.getState().get('p')!.data as Float32Array);
    got.forEach((v, i) => expect(Math.abs(v - want[k][i])).toBeLessThan(2e-6 * (1 + Math.abs(want[k][i]))));
  }
  await t.release();
});
