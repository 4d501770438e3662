/**
 * examples/mlp-classifier.ts against PyTorch 1.13 (fixture: test/examples/fixtures/make_mlp_parity.py): PyTorch's
 * weights load strictly; logits, cross-entropy, gradients and the parameters after two AdamW steps with
 * gradient clipping agree to ~1e-5.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MLP } from '../../examples/mlp-classifier';
import { buildTraining, type OptimizerSpec, Trainer } from '../../runtime/engine';
import { loadWeights, matchStateDict } from '../../runtime/checkpoint';
import { F } from '../../sdk';
import type { NamedArray } from '../../sdk/state';

const dir = path.join(__dirname, 'fixtures');
const ref = JSON.parse(fs.readFileSync(path.join(dir, 'mlp-parity.json'), 'utf8')) as {
  x: number[];
  y: number[];
  logits: number[];
  loss: number;
  grads: Record<string, number[]>;
  losses: number[];
  params: Record<string, number[]>[];
};
const batch: Record<string, NamedArray> = {
  x: { dtype: 'float32', shape: [8, 2], data: Float32Array.from(ref.x) },
  y: { dtype: 'int64', shape: [8], data: BigInt64Array.from(ref.y.map(BigInt)) },
};

function setup(optimizer: OptimizerSpec, clipGradNorm?: number) {
  const model = new MLP(2, 16, 3);
  const report = matchStateDict(model.paramSpecs(), loadWeights(path.join(dir, 'mlp.pth')).tensors);
  expect([report.missing, report.unexpected, report.mismatched]).toEqual([[], [], []]);
  const program = buildTraining({
    model,
    inputs: { x: { dtype: 'float32', shape: [8, 2] }, y: { dtype: 'int64', shape: [8] } },
    loss: ({ x, y }) => {
      const logits = model.call(x);
      return { loss: F.crossEntropy(logits, y), outputs: { logits } };
    },
    optimizer,
    clipGradNorm,
  });
  return { program, weights: report.tensors };
}

const close = (got: ArrayLike<number>, want: number[], tol: number) => {
  const scale = Math.max(...want.map(Math.abs));
  want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThanOrEqual(tol * scale));
};

test('PyTorch weights load strictly; logits and cross-entropy equal PyTorch', async () => {
  const { program, weights } = setup({ kind: 'adam' });
  const t = await Trainer.create(program, { weights, lr: 0 });
  const r = await t.evaluate(batch);
  close(r.outputs.logits.data as Float32Array, ref.logits, 1e-6);
  expect(Math.abs(r.metrics.loss - ref.loss)).toBeLessThan(1e-6 * ref.loss);
  await t.release();
});

test('gradients equal PyTorch (read from one plain SGD step with lr 1: p1 = p0 − g)', async () => {
  const { program, weights } = setup({ kind: 'sgd' });
  const t = await Trainer.create(program, { weights, lr: 1 });
  await t.step(batch);
  const after = await t.stateDict();
  for (const [k, want] of Object.entries(ref.grads)) {
    const p0 = weights.get(k)!.data as Float32Array;
    const p1 = after.get(k)!.data as Float32Array;
    close(
      p0.map((v, i) => v - p1[i]),
      want,
      1e-5,
    );
  }
  await t.release();
});

test('two AdamW steps with gradient clipping equal torch.optim.AdamW + clip_grad_norm_', async () => {
  const { program, weights } = setup({ kind: 'adamw', weightDecay: 0.01 }, 1.0);
  const t = await Trainer.create(program, { weights, lr: 0.01 });
  for (let s = 0; s < 2; s++) {
    const m = await t.step(batch);
    expect(Math.abs(m.loss - ref.losses[s])).toBeLessThan(1e-5 * ref.losses[s]);
    const sd = await t.stateDict();
    for (const [k, want] of Object.entries(ref.params[s])) close(sd.get(k)!.data as Float32Array, want, 1e-5);
  }
  await t.release();
});
