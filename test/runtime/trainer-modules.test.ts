/**
 * The Trainer with stateful modules (docs/nn.md): BatchNorm's running statistics are carried as buffers (updated by
 * training steps, read by the eval graph), Dropout's seed is fed per step, and save → resume stays bit-identical.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BatchNorm2d, Conv2d, Dropout, Linear, Module } from '../../sdk/nn';
import { mul, reduceMean, relu, reshape, sub } from '../../sdk/ops';
import type { NamedArray } from '../../sdk/state';
import type { Tensor } from '../../sdk/tensor';
import { buildTraining } from '../../runtime/engine/program';
import { Trainer } from '../../runtime/engine/trainer';
import { Rng } from '../helpers/rng';

class Net extends Module {
  readonly conv = this.addModule('conv', new Conv2d(1, 3, 3, { padding: 1 }));
  readonly bn = this.addModule('bn', new BatchNorm2d(3));
  readonly drop = this.addModule('drop', new Dropout(0.3));
  readonly fc = this.addModule('fc', new Linear(3 * 4 * 4, 2));
  forward(x: Tensor): Tensor {
    const h = this.drop.call(relu(this.bn.call(this.conv.call(x))));
    return this.fc.call(reshape(h, [x.shape[0], 3 * 4 * 4]));
  }
}

const r = new Rng(3);
const batch = (): Record<string, NamedArray> => ({
  x: { dtype: 'float32', shape: [2, 1, 4, 4], data: Float32Array.from(r.array(32)) },
  y: { dtype: 'float32', shape: [2, 2], data: Float32Array.from(r.array(4)) },
});

test('BatchNorm buffers and a Dropout seed through training, evaluation and a bit-identical resume', async () => {
  const model = new Net();
  const program = buildTraining({
    model,
    inputs: { x: { dtype: 'float32', shape: [2, 1, 4, 4] }, y: { dtype: 'float32', shape: [2, 2] } },
    loss: ({ x, y }) => {
      const d = sub(model.call(x), y);
      return reduceMean(mul(d, d), [0, 1]);
    },
    optimizer: { kind: 'sgd', momentum: 0.9 },
  });
  expect(program.buffers.sort()).toEqual(['bn.num_batches_tracked', 'bn.running_mean', 'bn.running_var']);
  expect(program.seedInput).toBe('dropout_seed');
  expect(program.stateDictKeys).toEqual([
    'conv.weight',
    'conv.bias',
    'bn.weight',
    'bn.bias',
    'bn.running_mean',
    'bn.running_var',
    'bn.num_batches_tracked',
    'fc.weight',
    'fc.bias',
  ]);
  expect(model.training).toBe(true); // restored after building the eval graph
  const batches = [batch(), batch(), batch(), batch()];
  const weights = model.initStateDict(0);

  const a = await Trainer.create(program, { weights, lr: 0.05, seed: 7 });
  const losses: number[] = [];
  for (const b of batches) losses.push((await a.step(b)).loss);
  const sd = await a.stateDict();
  expect(Number(sd.get('bn.num_batches_tracked')!.data[0])).toBe(4);
  expect(Array.from(sd.get('bn.running_mean')!.data as Float32Array).some((v) => v !== 0)).toBe(true);
  const ev1 = await a.evaluate(batches[0]);
  const ev2 = await a.evaluate(batches[0]);
  expect(ev2.metrics.loss).toBe(ev1.metrics.loss); // eval mode: no dropout, running statistics
  const full = await a.fullState();
  await a.release();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-modules-'));
  const b = await Trainer.create(program, { weights, lr: 0.05, seed: 7 });
  for (const x of batches.slice(0, 2)) await b.step(x);
  const file = await b.save(path.join(dir, 'c.safetensors'));
  await b.release();
  const c = await Trainer.resume(program, file, { lr: 0.05 });
  const rest: number[] = [];
  for (const x of batches.slice(2)) rest.push((await c.step(x)).loss);
  expect(rest).toEqual(losses.slice(2));
  const got = await c.fullState();
  for (const [k, v] of full) expect(Buffer.from(got.get(k)!.data.buffer).equals(Buffer.from(v.data.buffer))).toBe(true);
  await c.release();
  fs.rmSync(dir, { recursive: true });
});
