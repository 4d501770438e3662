/**
 * The examples against PyTorch 1.13 (fixtures by scripts/make-example-parity.py): PyTorch's state_dict loads
 * strictly into the example's model; the eval-mode logits, the training-mode loss, every gradient, the buffers after
 * one training step, and every parameter and buffer after two steps of the example's optimizer equal PyTorch's.
 *
 * Tolerances (relative to the largest magnitude of the tensor compared, float32 throughout):
 * - forward, loss: 2e-6 (a few ulps: only the summation order of the convolutions, matmuls and reductions differs);
 * - gradients: 1e-5 of the largest gradient, plus the rounding of p0 − p1 (read from one SGD step with lr 1, where
 *   p1 = p0 − g is rounded to float32: half an ulp of |p| ≈ 6e-8·max|p|);
 * - parameters after two steps: 1e-5, as issue 17 asks. Except where Adam amplifies rounding noise: an element whose
 *   PyTorch gradient is below 1e-6 of its tensor's largest is structurally zero (the key third of attention's
 *   in_proj_bias: softmax ignores a constant added to every key's score), its computed value is rounding noise in
 *   both implementations (~1e-10), and Adam's update m̂/(√v̂ + ε) turns noise into a step of up to ±lr in a random
 *   direction. Such elements are only checked to have moved by no more than Adam can (lr·(1 + weight decay) a step).
 */
import * as path from 'node:path';
import { buildTraining, type OptimizerSpec, Trainer } from '../../runtime/engine';
import { loadWeights, matchStateDict } from '../../runtime/checkpoint';
import type { nn, Tensor } from '../../sdk';
import type { NamedArray, StateDict } from '../../sdk/state';

export interface ParityCase {
  /** Fixture name: test/examples/fixtures/<name>.pth and <name>-ref.pth. */
  name: string;
  /** The example's model at the fixture's size (a new one per call). */
  model: () => nn.Module;
  /** The example's loss on the logits. */
  loss: (logits: Tensor, y: Tensor) => Tensor;
  /** The example's optimizer, and its learning rate in the fixture (constant). */
  optimizer: OptimizerSpec;
  lr: number;
  clipGradNorm?: number;
}

const dir = path.join(__dirname, 'fixtures');

const values = (a: NamedArray): number[] => Array.from(a.data as ArrayLike<number | bigint>, Number);
const maxAbs = (a: number[]) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Keys whose values differ from `want` by more than `tol`·max|want| + `abs` (with the worst error), '' if none. */
function mismatch(key: string, got: number[], want: number[], tol: number, abs = 0): string {
  if (got.length !== want.length) return `${key}: ${got.length} values, PyTorch has ${want.length}`;
  const bound = tol * maxAbs(want) + abs;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return worst <= bound
    ? ''
    : `${key}: max error ${worst.toExponential(2)} > ${bound.toExponential(2)} (max |PyTorch| ${maxAbs(want).toExponential(2)})`;
}

export function parityTests(c: ParityCase): void {
  const ref = loadWeights(path.join(dir, `${c.name}-ref.pth`)).tensors;
  const get = (k: string) => {
    const v = ref.get(k);
    if (!v) throw new Error(`${c.name}-ref.pth has no '${k}': rerun scripts/make-example-parity.py`);
    return v;
  };
  const batch = { x: get('x'), y: get('y') };
  const scalar = (k: string) => values(get(k))[0];

  /** Elements of parameter `k` whose gradient is rounding noise, for Adam (see the header); none otherwise. */
  const noiseElements = (k: string): Set<number> => {
    const g = ref.get(`grad.${k}`);
    if (!g || !c.optimizer.kind.startsWith('adam')) return new Set();
    const v = values(g);
    const floor = 1e-6 * maxAbs(v);
    return new Set(v.flatMap((x, i) => (Math.abs(x) < floor ? [i] : [])));
  };

  let weights: StateDict;
  let model: nn.Module;
  const program = (optimizer: OptimizerSpec, clipGradNorm?: number) =>
    buildTraining({
      model,
      inputs: Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, { dtype: v.dtype, shape: [...v.shape] }])),
      loss: ({ x, y }) => {
        const logits = model.call(x);
        return { loss: c.loss(logits, y), outputs: { logits } };
      },
      optimizer,
      clipGradNorm,
    });

  test('PyTorch state_dict (parameters, running statistics, num_batches_tracked) loads strictly', () => {
    model = c.model();
    const report = matchStateDict(model.stateSpecs(), loadWeights(path.join(dir, `${c.name}.pth`)).tensors);
    expect([report.missing, report.unexpected, report.mismatched, report.converted]).toEqual([[], [], [], []]);
    expect([...report.tensors.keys()]).toEqual([...model.stateSpecs().keys()]);
    weights = report.tensors;
  });

  test('eval-mode logits, training-mode loss, gradients and the buffers after one step equal PyTorch', async () => {
    const t = await Trainer.create(program({ kind: 'sgd' }), { weights, lr: 1 });
    try {
      const ev = await t.evaluate(batch);
      expect(mismatch('eval logits', values(ev.outputs.logits), values(get('eval.logits')), 2e-6)).toBe('');
      const m = await t.step(batch);
      expect(Math.abs(m.loss - scalar('loss'))).toBeLessThanOrEqual(2e-6 * scalar('loss'));
      const after = await t.stateDict();
      const bad: string[] = [];
      for (const k of t.program.trained) {
        const p0 = values(weights.get(k)!);
        const p1 = values(after.get(k)!);
        bad.push(
          mismatch(
            `grad ${k}`,
            p0.map((v, i) => v - p1[i]),
            values(get(`grad.${k}`)),
            1e-5,
            6e-8 * maxAbs(p0),
          ),
        );
      }
      for (const k of t.program.buffers) bad.push(mismatch(k, values(after.get(k)!), values(get(`sgd1.${k}`)), 1e-6));
      expect(bad.filter(Boolean)).toEqual([]);
    } finally {
      await t.release();
    }
  });

  test(`two steps of ${c.optimizer.kind} equal torch.optim's (parameters and buffers)`, async () => {
    const t = await Trainer.create(program(c.optimizer, c.clipGradNorm), { weights, lr: c.lr });
    try {
      for (const s of [1, 2]) {
        const m = await t.step(batch);
        expect(Math.abs(m.loss - scalar(`step${s}.loss`))).toBeLessThanOrEqual(1e-5 * scalar(`step${s}.loss`));
        const sd = await t.stateDict();
        const bad: string[] = [];
        for (const [k, v] of sd) {
          const got = values(v);
          const want = values(get(`step${s}.${k}`));
          const noise = noiseElements(k);
          const p0 = values(weights.get(k)!);
          for (const i of noise)
            if (Math.abs(got[i] - p0[i]) > s * c.lr * (1 + (c.optimizer.weightDecay ?? 0)) * 1.001)
              bad.push(`step ${s} ${k}[${i}] moved ${got[i] - p0[i]}`);
          bad.push(
            mismatch(
              `step ${s} ${k}`,
              got.filter((_, i) => !noise.has(i)),
              want.filter((_, i) => !noise.has(i)),
              1e-5,
            ),
          );
        }
        expect(bad.filter(Boolean)).toEqual([]);
      }
    } finally {
      await t.release();
    }
  });
}
