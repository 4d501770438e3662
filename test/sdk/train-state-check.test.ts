/**
 * The training-step graph's `state_check` output (issue 18, finding 2): 0 while every updated parameter and
 * optimizer value is finite, NaN as soon as one is not, and the other outputs unchanged by it.
 */
import { TrainingSession } from '../../runtime/engine/session';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import * as nn from '../../sdk/nn';
import { mean, mul, sub } from '../../sdk/ops';
import type { NamedArray } from '../../sdk/state';
import { buildTrainStep, STATE_CHECK } from '../../sdk/train';
import { Rng } from '../helpers/rng';

const SHAPE = [1, 1, 4, 4, 4];

function graph(stateCheck: boolean): Uint8Array {
  const net = new nn.Conv3d(1, 2, 3, { padding: 1 });
  const g = new Graph('check');
  const x = g.input('x', 'float32', SHAPE);
  const d = sub(mean(net.call(x)), 1);
  buildTrainStep(g, mul(d, d), {}, { optimizer: { kind: 'adam' }, stateCheck });
  return exportModel(g, { params: 'inputs' }).model;
}

const init = new nn.Conv3d(1, 2, 3, { padding: 1 }).initStateDict(3);
const batch: Record<string, NamedArray> = {
  x: { dtype: 'float32', shape: SHAPE, data: Float32Array.from(new Rng(4).array(64)) },
};

test('state_check is 0 for a finite update and the other outputs are bit-identical with and without it', async () => {
  const a = await TrainingSession.create(graph(true), init);
  const b = await TrainingSession.create(graph(false), init);
  for (let k = 0; k < 3; k++) {
    const ma = await a.step(batch, 1e-2);
    const mb = await b.step(batch, 1e-2);
    expect(ma[STATE_CHECK]).toBe(0);
    expect(mb[STATE_CHECK]).toBeUndefined();
    expect(ma.loss).toBe(mb.loss);
  }
  const sa = a.getState();
  for (const [k, v] of b.getState())
    expect(Buffer.from(sa.get(k)!.data.buffer as ArrayBuffer).equals(Buffer.from(v.data.buffer as ArrayBuffer))).toBe(
      true,
    );
  await a.release();
  await b.release();
});

test('an overflowing update (lr 1e39) is caught by state_check while the loss of that step is still finite', async () => {
  const s = await TrainingSession.create(graph(true), init);
  const m = await s.step(batch, 1e39);
  expect(Number.isFinite(m.loss)).toBe(true); // the loss is computed before the update: it cannot see it
  expect(m[STATE_CHECK]).toBeNaN();
  await s.release();
});

test('large finite state values (weights 1e15, Adam second moments ~1e31) do not raise a false alarm', async () => {
  const big: typeof init = new Map(
    [...init].map(([k, v]) => [k, { ...v, data: new Float32Array(v.data.length).fill(1e15) }]),
  );
  const s = await TrainingSession.create(graph(true), big);
  const m = await s.step(batch, 0);
  expect(m.loss).toBeGreaterThan(1e30);
  expect(Number.isFinite(m.loss)).toBe(true);
  expect(m[STATE_CHECK]).toBe(0);
  await s.release();
});
