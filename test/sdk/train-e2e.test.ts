/**
 * End to end: a small 3-D conv net built with the nn modules, turned into ONE training-step graph
 * (sdk/train.ts buildTrainStep: forward + backward + Adam) and trained with runtime/engine/session.ts on a toy
 * regression task; plus the `withGrads` and `clipGradNorm` outputs checked against the loss itself.
 */
import { createSession, runSession } from '../../runtime/engine/ort';
import { TrainingSession } from '../../runtime/engine/session';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import * as nn from '../../sdk/nn';
import { mean, mul, sub } from '../../sdk/ops';
import type { NamedArray, StateDict } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { buildTrainStep, type TrainStepOptions } from '../../sdk/train';
import { checkRecordedModels, recordModel } from '../helpers/onnx-checker';
import { Rng } from '../helpers/rng';

const N = 8;
const BATCH = [2, 1, N, N, N];

/** Conv3d(1→8, k3 p1) → GroupNorm(2, 8) → LeakyReLU(0.2) → Conv3d(8→1, k3 p1). */
class TinyNet extends nn.Module {
  readonly net = this.addModule(
    'net',
    new nn.Sequential(
      new nn.Conv3d(1, 8, 3, { padding: 1 }),
      new nn.GroupNorm(2, 8),
      new nn.LeakyReLU(0.2),
      new nn.Conv3d(8, 1, 3, { padding: 1 }),
    ),
  );
  forward(x: Tensor): Tensor {
    return this.net.call(x);
  }
}

/** Training-step graph of the MSE between the net's output and `t`; parameters are graph inputs. */
function trainGraph(net: TinyNet, opts: Omit<TrainStepOptions, 'optimizer'> = {}): Uint8Array {
  const g = new Graph('tiny_train');
  const x = g.input('x', 'float32', BATCH);
  const t = g.input('t', 'float32', BATCH);
  const d = sub(net.call(x), t);
  buildTrainStep(g, mean(mul(d, d)), {}, { optimizer: { kind: 'adam' }, ...opts });
  const model = exportModel(g, { params: 'inputs' }).model;
  recordModel(`tiny_train ${JSON.stringify(opts)}`, model);
  return model;
}

const idx = (b: number, z: number, y: number, x: number) => ((b * N + z) * N + y) * N + x;

/**
 * A fixed batch: random volumes x and the target t = a smooth, shifted copy of x (x shifted by one voxel
 * along W, averaged with its neighbours along H, zero outside): a function a 3×3×3 conv stack can learn.
 */
function batch(seed: number): Record<string, NamedArray> {
  const rng = new Rng(seed);
  const x = Float32Array.from(rng.array(2 * N ** 3));
  const t = new Float32Array(x.length);
  const at = (b: number, z: number, y: number, q: number) =>
    y >= 0 && y < N && q >= 0 && q < N ? x[idx(b, z, y, q)] : 0;
  for (let b = 0; b < 2; b++)
    for (let z = 0; z < N; z++)
      for (let y = 0; y < N; y++)
        for (let q = 0; q < N; q++) {
          t[idx(b, z, y, q)] = (at(b, z, y - 1, q - 1) + 2 * at(b, z, y, q - 1) + at(b, z, y + 1, q - 1)) / 4;
        }
  return { x: { dtype: 'float32', shape: BATCH, data: x }, t: { dtype: 'float32', shape: BATCH, data: t } };
}

test('Adam on the exported training graph fits a toy regression task (loss falls, parameters change)', async () => {
  const net = new TinyNet();
  const init = net.initStateDict(1);
  const session = await TrainingSession.create(trainGraph(net), init);
  expect(session.batchInputs.sort()).toEqual(['t', 'x']);
  const data = batch(2);
  const losses: number[] = [];
  for (let k = 0; k < 60; k++) losses.push((await session.step(data, 1e-2)).loss);
  const state = session.getState();
  await session.release();

  expect(losses.every(Number.isFinite)).toBe(true);
  // Measured with these seeds: 0.272 → 0.0042 after 60 steps (a factor of ~65); asserted with a wide margin.
  expect(losses[59]).toBeLessThan(losses[0] / 10);
  expect(session.stepCount).toBe(60);
  for (const [name, p0] of init) {
    const p = state.get(name)!;
    expect(p.shape).toEqual(p0.shape);
    const moved = Math.max(...Array.from(p.data as Float32Array, (v, i) => Math.abs(v - (p0.data[i] as number))));
    expect([name, moved > 1e-3]).toEqual([name, true]);
    expect(state.get(`adam.m.${name}`)).toBeDefined();
  }
});

/** Runs a training-step model once at the given parameters (zero optimizer state, lr 0) and returns its outputs. */
async function runAt(
  model: Uint8Array,
  params: StateDict,
  data: Record<string, NamedArray>,
): Promise<Record<string, NamedArray>> {
  const s = await createSession(model, { threads: 1 });
  try {
    const feeds: Record<string, NamedArray> = { ...data };
    feeds.lr = { dtype: 'float32', shape: [], data: Float32Array.of(0) };
    feeds.step = { dtype: 'float32', shape: [], data: Float32Array.of(1) };
    for (const [k, v] of params) {
      feeds[k] = v;
      feeds[`adam.m.${k}`] = { ...v, data: new Float32Array(v.data.length) };
      feeds[`adam.v.${k}`] = { ...v, data: new Float32Array(v.data.length) };
    }
    return await runSession(s, feeds);
  } finally {
    await s.release();
  }
}

const scalar = (a: NamedArray) => Number(a.data[0]);

test('withGrads: grad.P equals a central difference of the loss (float32) for one parameter element', async () => {
  const net = new TinyNet();
  const params = net.initStateDict(3);
  const model = trainGraph(net, { withGrads: true });
  const data = batch(4);
  const out = await runAt(model, params, data);
  const name = 'net.0.weight';
  const gw = out[`grad.${name}`].data as Float32Array;
  expect(out[`grad.${name}`].shape).toEqual(params.get(name)!.shape);
  // The element with the largest gradient: a float32 difference of the loss resolves it best.
  let k = 0;
  gw.forEach((v, i) => (Math.abs(v) > Math.abs(gw[k]) ? (k = i) : 0));

  const h = 3e-3;
  const lossAt = async (delta: number) => {
    const p = params.get(name)!;
    const data2 = Float32Array.from(p.data as Float32Array);
    data2[k] += delta;
    const shifted: StateDict = new Map(params);
    shifted.set(name, { ...p, data: data2 });
    return scalar((await runAt(model, shifted, data)).loss);
  };
  const fd = ((await lossAt(h)) - (await lossAt(-h))) / (2 * h);
  // NOTE: on the tolerance. The float32 loss (~0.28) carries ~3e-8 of rounding, i.e. ~5e-6 absolute (5e-5
  // relative to this gradient, ~0.1) after dividing by 2h; smaller steps amplify it (h = 1e-4: 1.2e-3). Larger
  // steps move LeakyReLU inputs across 0 (h = 1e-2: 2.4e-3). Measured at h = 3e-3: 6e-5.
  expect(Math.abs(fd - gw[k]) / Math.abs(gw[k])).toBeLessThan(1e-3);
});

test('clipGradNorm: grad_norm is the L2 norm of the gradients, which are scaled down to the limit', async () => {
  const net = new TinyNet();
  const params = net.initStateDict(5);
  const data = batch(6);
  const norm = (out: Record<string, NamedArray>) => {
    let s = 0;
    for (const k of params.keys()) for (const v of out[`grad.${k}`].data as Float32Array) s += v * v;
    return Math.sqrt(s);
  };
  // A limit far above the norm: nothing is clipped, the outputs are the raw gradients.
  const free = await runAt(trainGraph(net, { withGrads: true, clipGradNorm: 1e6 }), params, data);
  const reported = scalar(free.grad_norm);
  expect(reported).toBeGreaterThan(0);
  expect(Math.abs(reported - norm(free)) / reported).toBeLessThan(1e-5);
  // A limit of a tenth of it: the same norm is reported (before clipping), the gradients are scaled to the limit.
  const limit = reported / 10;
  const clipped = await runAt(trainGraph(net, { withGrads: true, clipGradNorm: limit }), params, data);
  expect(Math.abs(scalar(clipped.grad_norm) - reported) / reported).toBeLessThan(1e-5);
  expect(Math.abs(norm(clipped) - limit) / limit).toBeLessThan(1e-5);
  expect(scalar(clipped.loss)).toBe(scalar(free.loss));
});

test('every exported training graph passes the ONNX checker', () => {
  expect(checkRecordedModels()).toEqual([]);
});
