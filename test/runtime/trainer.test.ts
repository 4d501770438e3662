/**
 * The public training API (runtime/engine: buildTraining + Trainer) on a small MLP, against a plain-TypeScript
 * reference: the MLP's forward and backward written out by hand (float64) and torch.optim's update rules
 * (torch/optim/sgd.py, adam.py, adamw.py; torch.nn.utils.clip_grad_norm_), with lrs from a schedule.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Graph } from '../../sdk/graph';
import { Linear } from '../../sdk/nn/linear';
import { Module } from '../../sdk/nn/module';
import { add, cast, mul, reduceMean, relu, sub } from '../../sdk/ops';
import type { OptimizerSpec } from '../../sdk/optim';
import type { NamedArray, StateDict } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { buildTraining, type TrainingProgram } from '../../runtime/engine/program';
import { cosine, type Schedule, warmup } from '../../runtime/engine/schedules';
import { Trainer } from '../../runtime/engine/trainer';
import { Rng } from '../helpers/rng';

const N = 5;
const IN = 3;
const HID = 4;
const OUT = 2;

class MLP extends Module {
  readonly fc1 = this.addModule('fc1', new Linear(IN, HID));
  readonly fc2 = this.addModule('fc2', new Linear(HID, OUT));
  forward(x: Tensor): Tensor {
    return this.fc2.call(relu(this.fc1.call(x)));
  }
}

function mse(a: Tensor, b: Tensor): Tensor {
  const d = sub(a, b);
  return reduceMean(mul(d, d), [0, 1]);
}

function program(model: MLP, optimizer: OptimizerSpec, clipGradNorm?: number): TrainingProgram {
  return buildTraining({
    model,
    inputs: { x: { dtype: 'float32', shape: [N, IN] }, y: { dtype: 'float32', shape: [N, OUT] } },
    loss: ({ x, y }) => {
      const pred = model.call(x);
      return { loss: mse(pred, y), outputs: { pred } };
    },
    optimizer,
    clipGradNorm,
  });
}

const f32 = (shape: number[], data: number[]): NamedArray => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from(data),
});

function batch(seed: number): Record<string, NamedArray> {
  const r = new Rng(seed);
  return { x: f32([N, IN], r.array(N * IN)), y: f32([N, OUT], r.array(N * OUT)) };
}

/** Loss and gradients of the MLP with MSE, by hand (float64). Parameters in state-dict order. */
function lossAndGrads(
  p: Map<string, number[]>,
  b: Record<string, NamedArray>,
): { loss: number; grads: Map<string, number[]> } {
  const x = Array.from(b.x.data as Float32Array);
  const y = Array.from(b.y.data as Float32Array);
  const [w1, b1, w2, b2] = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'].map((k) => p.get(k)!);
  const gw1 = w1.map(() => 0),
    gb1 = b1.map(() => 0),
    gw2 = w2.map(() => 0),
    gb2 = b2.map(() => 0);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const z = b1.map((bj, j) => bj + x.slice(n * IN, n * IN + IN).reduce((s, xi, i) => s + xi * w1[j * IN + i], 0));
    const h = z.map((v) => Math.max(v, 0));
    const o = b2.map((bk, k) => bk + h.reduce((s, hj, j) => s + hj * w2[k * HID + j], 0));
    const dy = o.map((ok, k) => (2 * (ok - y[n * OUT + k])) / (N * OUT));
    o.forEach((ok, k) => (loss += (ok - y[n * OUT + k]) ** 2 / (N * OUT)));
    const dh = h.map((_, j) => dy.reduce((s, d, k) => s + d * w2[k * HID + j], 0));
    dy.forEach((d, k) => {
      gb2[k] += d;
      h.forEach((hj, j) => (gw2[k * HID + j] += d * hj));
    });
    dh.forEach((d, j) => {
      const dz = z[j] > 0 ? d : 0;
      gb1[j] += dz;
      for (let i = 0; i < IN; i++) gw1[j * IN + i] += dz * x[n * IN + i];
    });
  }
  return {
    loss,
    grads: new Map([
      ['fc1.weight', gw1],
      ['fc1.bias', gb1],
      ['fc2.weight', gw2],
      ['fc2.bias', gb2],
    ]),
  };
}

/** torch.optim's update rules (single-tensor paths), several steps; returns the losses and parameters after each. */
function reference(
  spec: OptimizerSpec,
  init: StateDict,
  lr: Schedule,
  batches: Record<string, NamedArray>[],
  clip?: number,
) {
  const p = new Map([...init].map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
  const m = new Map([...p].map(([k, v]) => [k, v.map(() => 0)]));
  const v2 = new Map([...p].map(([k, v]) => [k, v.map(() => 0)]));
  const losses: number[] = [];
  const params: Map<string, number[]>[] = [];
  batches.forEach((b, k) => {
    const t = k + 1;
    const rate = lr(k);
    const { loss, grads } = lossAndGrads(p, b);
    losses.push(loss);
    if (clip !== undefined) {
      const norm = Math.sqrt([...grads.values()].flat().reduce((s, g) => s + g * g, 0));
      const coef = Math.min(1, clip / (norm + 1e-6));
      for (const g of grads.values()) g.forEach((_, i) => (g[i] *= coef));
    }
    for (const [name, w] of p) {
      const g = grads.get(name)!,
        mm = m.get(name)!,
        vv = v2.get(name)!;
      for (let i = 0; i < w.length; i++) {
        let d = g[i];
        if (spec.kind === 'sgd') {
          const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = spec;
          if (weightDecay) d += weightDecay * w[i];
          if (momentum) {
            mm[i] = t === 1 ? d : momentum * mm[i] + (1 - dampening) * d;
            d = nesterov ? d + momentum * mm[i] : mm[i];
          }
          w[i] -= rate * d;
          continue;
        }
        const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = spec.kind === 'adamw' ? 0.01 : 0 } = spec;
        if (spec.kind === 'adamw') w[i] *= 1 - rate * weightDecay;
        else if (weightDecay) d += weightDecay * w[i];
        mm[i] = beta1 * mm[i] + (1 - beta1) * d;
        vv[i] = beta2 * vv[i] + (1 - beta2) * d * d;
        const denom = Math.sqrt(vv[i]) / Math.sqrt(1 - beta2 ** t) + eps;
        w[i] -= (rate / (1 - beta1 ** t)) * (mm[i] / denom);
      }
    }
    params.push(new Map([...p].map(([k2, w]) => [k2, [...w]])));
  });
  return { losses, params };
}

const CASES: [string, OptimizerSpec, number | undefined][] = [
  ['sgd', { kind: 'sgd' }, undefined],
  [
    'sgd momentum + dampening + weight decay',
    { kind: 'sgd', momentum: 0.9, dampening: 0.1, weightDecay: 0.01 },
    undefined,
  ],
  ['sgd nesterov, gradient clipping', { kind: 'sgd', momentum: 0.8, nesterov: true }, 0.05],
  ['adam with L2 weight decay', { kind: 'adam', weightDecay: 0.1, beta1: 0.8 }, undefined],
  ['adamw, gradient clipping', { kind: 'adamw', weightDecay: 0.05 }, 0.1],
  ["adamw with PyTorch's default weight decay (0.01)", { kind: 'adamw' }, undefined],
];

const close = (got: ArrayLike<number>, want: number[], tol = 2e-5) =>
  want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThanOrEqual(tol * (1 + Math.abs(w))));

test.each(CASES)(
  'an MLP trained with %s equals torch.optim for 4 steps of a warm-up + cosine schedule',
  async (_l, spec, clip) => {
    const model = new MLP();
    const init = model.initStateDict(3);
    const lr = warmup(2, cosine(0.05, 6), 0.5);
    const batches = [1, 2, 3, 4].map(batch);
    const want = reference(spec, init, lr, batches, clip);
    const prog = program(model, spec, clip);
    expect(prog.stateDictKeys).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const trainer = await Trainer.create(prog, { weights: init, lr });
    for (let k = 0; k < batches.length; k++) {
      expect(trainer.lr).toBe(lr(k));
      const metrics = await trainer.step(batches[k]);
      expect(Math.abs(metrics.loss - want.losses[k])).toBeLessThanOrEqual(1e-5 * want.losses[k]);
      if (clip !== undefined) expect(metrics.grad_norm).toBeGreaterThan(0);
      const sd = await trainer.stateDict();
      for (const [key, w] of want.params[k]) close(sd.get(key)!.data as Float32Array, w);
    }
    expect(trainer.stepCount).toBe(4);
    await trainer.release();
  },
);

test('evaluate runs the eval graph with the current weights: no update, loss and outputs as computed by hand', async () => {
  const model = new MLP();
  const trainer = await Trainer.create(program(model, { kind: 'adam' }), { weights: model.initStateDict(5), lr: 0.01 });
  await trainer.step(batch(1));
  const before = await trainer.stateDict();
  const b = batch(9);
  const r = await trainer.evaluate(b);
  const p = new Map([...before].map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
  expect(Math.abs(r.metrics.loss - lossAndGrads(p, b).loss)).toBeLessThan(1e-5 * r.metrics.loss);
  expect(r.outputs.pred.shape).toEqual([N, OUT]);
  expect(await trainer.stateDict()).toEqual(before);
  expect(trainer.stepCount).toBe(1);
  await trainer.release();
});

test('save → resume → continue is bit-identical to an uninterrupted run (parameters, optimizer state, losses)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-resume-'));
  const model = new MLP();
  const prog = program(model, { kind: 'adamw', weightDecay: 0.01 }, 1.0);
  const lr = warmup(2, cosine(0.02, 8));
  const init = model.initStateDict(7);
  const batches = [1, 2, 3, 4, 5, 6].map(batch);

  const straight = await Trainer.create(prog, { weights: init, lr });
  const straightLosses: number[] = [];
  for (const b of batches) straightLosses.push((await straight.step(b)).loss);
  const want = await straight.fullState();
  await straight.release();

  const first = await Trainer.create(prog, { weights: init, lr });
  for (const b of batches.slice(0, 3)) await first.step(b);
  const file = await first.save(path.join(dir, 'ckpt.safetensors'), { note: 'half-way' });
  await first.release();
  expect(fs.readdirSync(dir)).toEqual(['ckpt.safetensors']); // atomic: no temp file left

  const resumed = await Trainer.resume(prog, file, { lr });
  expect(resumed.stepCount).toBe(3);
  const losses: number[] = [];
  for (const b of batches.slice(3)) losses.push((await resumed.step(b)).loss);
  expect(losses).toEqual(straightLosses.slice(3));
  const got = await resumed.fullState();
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [k, v] of want) expect(Buffer.from(got.get(k)!.data.buffer).equals(Buffer.from(v.data.buffer))).toBe(true);
  await resumed.release();

  const sgd = program(model, { kind: 'sgd', momentum: 0.9 });
  await expect(Trainer.resume(sgd, file, { lr })).rejects.toThrow(
    `was written with optimizer {"kind":"adamw","weightDecay":0.01}, this program uses {"kind":"sgd","momentum":0.9}`,
  );
  fs.rmSync(dir, { recursive: true });
});

test('state dict round trip: what stateDict() returns starts a new trainer at the same point', async () => {
  const model = new MLP();
  const prog = program(model, { kind: 'sgd', momentum: 0.5 });
  const a = await Trainer.create(prog, { weights: model.initStateDict(1), lr: 0.1 });
  await a.step(batch(1));
  const sd = await a.stateDict();
  expect([...sd.keys()]).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  expect(sd.get('fc1.weight')!.shape).toEqual([HID, IN]);
  const b = await Trainer.create(prog, { weights: sd, lr: 0.1 });
  expect(await b.stateDict()).toEqual(sd);
  const e1 = await a.evaluate(batch(4));
  const e2 = await b.evaluate(batch(4));
  expect(e2.metrics.loss).toBe(e1.metrics.loss);
  // The optimizer state of a fresh trainer starts at zero (torch.optim's fresh state).
  expect(
    Array.from((await b.fullState()).get('sgd.momentum.fc1.weight')!.data as Float32Array).every((v) => v === 0),
  ).toBe(true);
  await a.release();
  await b.release();
});

test('one-line errors: a non-scalar loss, a model without parameters, a missing or mistyped input, missing weights', async () => {
  const model = new MLP();
  const inputs = { x: { dtype: 'float32' as const, shape: [N, IN] } };
  expect(() => buildTraining({ inputs, loss: ({ x }) => model.call(x), optimizer: { kind: 'adam' } })).toThrow(
    "the loss must be a scalar, but it is float32[5,2]: reduce it (e.g. ops.reduceMean over every axis, or F.crossEntropy's default 'mean' reduction)",
  );
  expect(() =>
    buildTraining({ inputs, loss: ({ x }) => reduceMean(mul(x, x), [0, 1]), optimizer: { kind: 'adam' } }),
  ).toThrow(
    'the loss depends on no parameters, so there is nothing to train: build it from modules (nn.Linear, …) or graph.param tensors',
  );
  const prog = program(model, { kind: 'adam' });
  const weights = model.initStateDict(0);
  weights.delete('fc2.bias');
  await expect(Trainer.create(prog, { weights, lr: 0.1 })).rejects.toThrow(
    "no value for 'fc2.bias': pass every parameter and buffer in `weights` (e.g. model.initStateDict(seed))",
  );
  const t = await Trainer.create(prog, { weights: model.initStateDict(0), lr: 0.1 });
  const { x } = batch(1);
  await expect(t.step({ x })).rejects.toThrow("batch input 'y' is missing: the model takes x, y");
  await expect(t.step({ ...batch(1), x: f32([2, IN], new Array(2 * IN).fill(0)) })).rejects.toThrow(
    "batch input 'x' is float32[2, 3], the model was built for float32[5, 3]: rebuild the program for this shape or reshape the batch",
  );
  await expect(t.step({ ...batch(1), z: x })).rejects.toThrow(
    "batch input 'z' is not an input of the model (it takes x, y)",
  );
  expect(t.stepCount).toBe(0);
  await t.release();
});

test('carried state is generic: an input X with an output new.X is fed back each step (a running-mean buffer)', async () => {
  const model = new MLP();
  // A buffer updated by the step graph, as BatchNorm's running statistics are: new.avg = 0.5·avg + 0.5·mean(x).
  const prog = buildTraining({
    model,
    inputs: { x: { dtype: 'float32', shape: [N, IN] }, y: { dtype: 'float32', shape: [N, OUT] } },
    loss: ({ x, y }, { graph, training }: { graph: Graph; training: boolean }) => {
      if (training) {
        const avg = graph.input('avg', 'float32', []);
        graph.output('new.avg', mul(add(avg, reduceMean(x, [0, 1])), 0.5));
      }
      return mse(model.call(x), y);
    },
    optimizer: { kind: 'sgd' },
  });
  expect(prog.buffers).toEqual(['avg']);
  expect(prog.stateDictKeys).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'avg']);
  const weights = model.initStateDict(0);
  await expect(Trainer.create(prog, { weights, lr: 0.1 })).rejects.toThrow("no value for 'avg'");
  weights.set('avg', f32([], [0]));
  const t = await Trainer.create(prog, { weights, lr: 0.1 });
  let want = 0;
  for (const s of [1, 2, 3]) {
    const b = batch(s);
    await t.step(b);
    const mean = Array.from(b.x.data as Float32Array).reduce((a, v) => a + v, 0) / (N * IN);
    want = 0.5 * (want + mean);
    expect(Math.abs(Number((await t.stateDict()).get('avg')!.data[0]) - want)).toBeLessThan(1e-6);
  }
  await t.release();
});

test('a dropout_seed input is fed (seed · 1000003 + t) | 0 at step t, and a resumed run continues the sequence', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-seed-'));
  const model = new MLP();
  // The seed input a train-mode Dropout declares (docs/nn.md); reported as a metric to see what was fed.
  const prog = buildTraining({
    model,
    inputs: { x: { dtype: 'float32', shape: [N, IN] }, y: { dtype: 'float32', shape: [N, OUT] } },
    loss: ({ x, y }, { graph, training }) => {
      const loss = mse(model.call(x), y);
      return training ? { loss, metrics: { seed: cast(graph.input('dropout_seed', 'int32', []), 'float32') } } : loss;
    },
    optimizer: { kind: 'sgd' },
  });
  expect(prog.seedInput).toBe('dropout_seed');
  const t = await Trainer.create(prog, { weights: model.initStateDict(0), lr: 0.1, seed: 3 }); // small: the metric passes through float32
  expect((await t.step(batch(1))).seed).toBe((3 * 1000003 + 1) | 0);
  expect((await t.step(batch(1))).seed).toBe((3 * 1000003 + 2) | 0);
  const file = await t.save(path.join(dir, 'c.safetensors'));
  await t.release();
  const r = await Trainer.resume(prog, file, { lr: 0.1 });
  expect((await r.step(batch(1))).seed).toBe((3 * 1000003 + 3) | 0);
  await r.release();
  fs.rmSync(dir, { recursive: true });
});
