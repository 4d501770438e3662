/**
 * The Trainer in a worker thread (like `onnx-train pretrain`): the compiled build (dist/, made by `npm test`'s
 * tsc) is loaded through the package's `gvsl-onnx/train` entry, and the run must equal the in-process one bit
 * for bit, with the caller's batch arrays left intact.
 */
import * as path from 'node:path';
import { Linear } from '../../sdk/nn/linear';
import { mul, reduceMean, sub } from '../../sdk/ops';
import type { NamedArray } from '../../sdk/state';
import { Rng } from '../helpers/rng';

const root = path.resolve(__dirname, '../..');
type Api = typeof import('../../runtime/engine');

test('a worker-thread trainer equals the in-process one bit for bit and leaves the batch usable', async () => {
  // The same compiled module for both runs (dist/): the public entry point, resolved by package name.
  const api = require(require.resolve('gvsl-onnx/train', { paths: [root] })) as Api;
  expect(require.resolve('gvsl-onnx/train', { paths: [root] })).toBe(path.join(root, 'dist/runtime/engine/index.js'));
  const model = new Linear(3, 2);
  const program = api.buildTraining({
    model,
    inputs: { x: { dtype: 'float32', shape: [4, 3] }, y: { dtype: 'float32', shape: [4, 2] } },
    loss: ({ x, y }) => {
      const d = sub(model.call(x), y);
      return reduceMean(mul(d, d), [0, 1]);
    },
    optimizer: { kind: 'adam' },
  });
  const r = new Rng(2);
  const batch = (): Record<string, NamedArray> => ({
    x: { dtype: 'float32', shape: [4, 3], data: Float32Array.from(r.array(12)) },
    y: { dtype: 'float32', shape: [4, 2], data: Float32Array.from(r.array(8)) },
  });
  const b0 = batch();
  const batches = [b0, b0, batch()];
  const run = async (worker: boolean) => {
    const t = await api.Trainer.create(program, {
      weights: model.initStateDict(0),
      lr: api.schedules.cosine(0.1, 3),
      worker,
    });
    const losses = [];
    for (const b of batches) losses.push((await t.step(b)).loss);
    const state = await t.fullState();
    const evalLoss = (await t.evaluate(batches[0])).metrics.loss;
    await t.release();
    return { losses, state, evalLoss };
  };
  const inWorker = await run(true);
  expect(batches[0].x.data.length).toBe(12); // not detached by the transfer to the worker
  const inProcess = await run(false);
  expect(inWorker).toEqual(inProcess);
  expect(inWorker.losses[1]).toBeLessThan(inWorker.losses[0]); // one Adam step on the same batch
});
