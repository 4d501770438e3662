/**
 * The data-parallel split of the training step (sdk/train.ts buildGradientsStep + buildApplyStep): the flat
 * gradient buffer of two batch-1 halves, averaged, equals the batch-2 step's gradients, and the apply graph fed
 * that average makes the same update as the one-graph step (with clipping moved after the average).
 */
import { createSession, runSession } from '../../runtime/engine/ort';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import * as nn from '../../sdk/nn';
import { mean, mul, sub } from '../../sdk/ops';
import type { NamedArray } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { buildApplyStep, buildGradientsStep, buildTrainStep, type FlatSlot } from '../../sdk/train';
import { checkRecordedModels, recordModel } from '../helpers/onnx-checker';
import { Rng } from '../helpers/rng';

const N = 6;

class TinyNet extends nn.Module {
  readonly net = this.addModule(
    'net',
    new nn.Sequential(
      new nn.Conv3d(1, 4, 3, { padding: 1 }),
      new nn.GroupNorm(2, 4),
      new nn.LeakyReLU(0.2),
      new nn.Conv3d(4, 1, 3, { padding: 1 }),
    ),
  );
  forward(x: Tensor): Tensor {
    return this.net.call(x);
  }
}

function lossGraph(name: string, batch: number): { g: Graph; loss: Tensor } {
  const g = new Graph(name);
  const x = g.input('x', 'float32', [batch, 1, N, N, N]);
  const t = g.input('t', 'float32', [batch, 1, N, N, N]);
  const d = sub(new TinyNet().call(x), t);
  return { g, loss: mean(mul(d, d)) };
}

const f32 = (shape: number[], data: Float32Array): NamedArray => ({ dtype: 'float32', shape, data });
const scalar = (v: number) => f32([], Float32Array.of(v));

async function run(model: Uint8Array, feeds: Record<string, NamedArray>): Promise<Record<string, NamedArray>> {
  const s = await createSession(model, { threads: 1 });
  try {
    return await runSession(s, feeds);
  } finally {
    await s.release();
  }
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('grads of two batch-1 halves, averaged and applied, equal the batch-2 training step (clipping after the average)', async () => {
  const params = new TinyNet().initStateDict(7);
  const rng = new Rng(8);
  const m = N ** 3;
  const x = Float32Array.from(rng.array(2 * m));
  const t = Float32Array.from(rng.array(2 * m));
  // A state that is not zero (as after some steps), so the update exercises every Adam term.
  const state: Record<string, NamedArray> = {};
  for (const [k, v] of params) {
    state[`adam.m.${k}`] = f32(
      v.shape,
      Float32Array.from(rng.array(v.data.length), (u) => u * 1e-3),
    );
    state[`adam.v.${k}`] = f32(
      v.shape,
      Float32Array.from(rng.array(v.data.length), (u) => Math.abs(u) * 1e-5),
    );
  }
  const common = { ...Object.fromEntries(params), ...state, lr: scalar(1e-2), step: scalar(3) };

  const one = lossGraph('one', 2);
  buildTrainStep(one.g, one.loss, {}, { optimizer: { kind: 'adam' }, withGrads: true, clipGradNorm: 0.05 });
  const oneModel = exportModel(one.g, { params: 'inputs' }).model;
  const ref = await run(oneModel, { ...common, x: f32([2, 1, N, N, N], x), t: f32([2, 1, N, N, N], t) });

  const half = lossGraph('half', 1);
  const gs = buildGradientsStep(half.g, half.loss, {});
  const gradsModel = exportModel(half.g, { params: 'inputs' }).model;
  recordModel('grads', gradsModel);
  const layout: FlatSlot[] = gs.layout;
  expect(layout.map((s) => s.name)).toEqual([...params.keys()]);
  expect(gs.total).toBe([...params.values()].reduce((n, p) => n + p.data.length, 0));
  const halves: Record<string, NamedArray>[] = [];
  for (const i of [0, 1]) {
    const sl = (a: Float32Array) => f32([1, 1, N, N, N], a.slice(i * m, (i + 1) * m));
    halves.push(await run(gradsModel, { ...Object.fromEntries(params), x: sl(x), t: sl(t) }));
  }
  const flat = Float32Array.from(
    halves[0].grads.data as Float32Array,
    (v, i) => (v + (halves[1].grads.data[i] as number)) / 2,
  );
  // The batch-2 loss is the mean of the halves' losses; the batch-2 gradients the mean of their gradients.
  expect(
    Math.abs((Number(halves[0].loss.data[0]) + Number(halves[1].loss.data[0])) / 2 - Number(ref.loss.data[0])),
  ).toBeLessThan(1e-6);

  const ap = new Graph('apply');
  const st = buildApplyStep(ap, layout, { optimizer: { kind: 'adam' }, clipGradNorm: 0.05 });
  expect(st.stateNames.get('net.0.weight')).toEqual(['adam.m.net.0.weight', 'adam.v.net.0.weight']);
  const applyModel = exportModel(ap, { params: 'inputs' }).model;
  recordModel('apply', applyModel);
  const upd = await run(applyModel, { ...common, grads: f32([gs.total], flat) });

  // The reference's grad.P are clipped (norm before clipping: grad_norm); unclip them to compare the raw average.
  const coef = Math.min(1, 0.05 / (Number(ref.grad_norm.data[0]) + 1e-6));
  expect(coef).toBeLessThan(1); // clipping is active
  expect(Math.abs(Number(upd.grad_norm.data[0]) - Number(ref.grad_norm.data[0]))).toBeLessThan(
    1e-6 * Number(ref.grad_norm.data[0]),
  );
  for (const s of layout) {
    const g = (ref[`grad.${s.name}`].data as Float32Array).map((v) => v / coef);
    // float32 sums in another order: a few ulps of the largest gradient.
    expect([s.name, maxDiff(flat.subarray(s.offset, s.offset + s.size), g) <= 1e-5 * maxAbs(g) + 1e-9]).toEqual([
      s.name,
      true,
    ]);
    for (const k of [`new.${s.name}`, `new.adam.m.${s.name}`, `new.adam.v.${s.name}`]) {
      const a = upd[k].data as Float32Array;
      const b = ref[k].data as Float32Array;
      // Relative to the size of the update (or of the moment), not of the parameter.
      const scale = k.startsWith('new.adam') ? maxAbs(b) : maxDiff(b, params.get(s.name)!.data as Float32Array);
      expect([k, maxDiff(a, b) <= 1e-4 * scale + 1e-9]).toEqual([k, true]);
    }
  }
  expect(checkRecordedModels()).toEqual([]);
});
