import { grad } from './autodiff';
import { BuildError } from './errors';
import type { Graph } from './graph';
import { add, clip, div, mul, reduceSum, sqrt } from './ops';
import { zeroAfter } from './remat';
import { type OptimizerSpec, optimizerUpdate, stateSlots } from './optim';
import type { Tensor } from './tensor';

export interface TrainStepOptions {
  optimizer: OptimizerSpec;
  /** Also output `grad.P` for every trained parameter. */
  withGrads?: boolean;
  /** Parameters that stay fixed: no gradient, no optimizer state, no `new.P` output. */
  frozen?: (name: string) => boolean;
  /** Clip the global gradient L2 norm to this value (torch.nn.utils.clip_grad_norm_). */
  clipGradNorm?: number;
}

export interface TrainStep {
  /** Trained parameters, in state_dict order. */
  trained: string[];
  frozen: string[];
  /** Optimizer state input names, per trained parameter. */
  stateNames: Map<string, string[]>;
  /** Buffers the step updates: input `<key>`, output `new.<key>` (docs/nn.md). */
  buffers: string[];
  /** `'dropout_seed'` when the graph has a train-mode Dropout: an int32 scalar to feed anew every step. */
  seedInput?: string;
}

/**
 * Turns a graph that computes `loss` (and named loss terms) from its parameters into ONE training-step graph:
 * forward + backward + optimizer update. The contract (README, "Training-step graph"):
 *   inputs:  the batch tensors (already in `g`), `lr`, `step` (float32 scalars; step is the 1-based t),
 *            every parameter P and buffer B (by state_dict key), the optimizer state of each trained P
 *            (`adam.m.P`, `adam.v.P`, …), and `dropout_seed` (int32) if the model has a train-mode Dropout;
 *   outputs: `loss`, each named term, `new.P` and `new.<state>.P`, `new.B` for every updated buffer, and
 *            with `withGrads` `grad.P`. Buffers get no gradient and no optimizer state (docs/nn.md).
 * `loss` is the loss at the parameters BEFORE the update. Export it with `params: 'inputs'`.
 */
export function buildTrainStep(g: Graph, loss: Tensor, terms: Record<string, Tensor>, opts: TrainStepOptions): TrainStep {
  if (loss.size !== 1) throw new BuildError('train', g.scope, `the loss must be a scalar, got ${loss.type}`);
  const lr = g.input('lr', 'float32', []);
  const step = g.input('step', 'float32', []);
  const names = [...g.params.keys()].filter((n) => !g.buffers.has(n));
  const isFrozen = opts.frozen ?? (() => false);
  const trained = names.filter((n) => !isFrozen(n));
  const frozen = names.filter((n) => isFrozen(n));
  const params = trained.map((n) => g.params.get(n)!);

  g.output('loss', loss);
  for (const [k, t] of Object.entries(terms)) g.output(k, t);

  let grads = g.withScope('backward', () => grad(loss, params));
  if (opts.clipGradNorm !== undefined) {
    const maxNorm = opts.clipGradNorm;
    grads = g.withScope('clip_grad_norm', () => {
      const sq = grads.map((gr) => reduceSum(mul(gr, gr), gr.shape.map((_, i) => i)));
      const norm = sqrt(sq.length ? sq.reduce((a, b) => add(a, b)) : g.scalar(0));
      g.output('grad_norm', norm);
      // torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), at most 1; reports the norm before clipping.
      const coef = clip(div(g.scalar(maxNorm), add(norm, 1e-6)), { max: 1 });
      return grads.map((gr) => mul(gr, coef));
    });
  }

  grads = g.withScope('backward', () => afterAllGradients(grads));

  const slots = stateSlots(opts.optimizer);
  const stateNames = new Map<string, string[]>();
  trained.forEach((name, i) => {
    const p = params[i];
    const sNames = slots.map((s) => s + name);
    stateNames.set(name, sNames);
    const state = sNames.map((s) => g.input(s, p.dtype, p.shape));
    const upd = g.withScope(`optimizer.${name}`, () => optimizerUpdate(opts.optimizer, p, grads[i], state, { lr, step }));
    g.output(`new.${name}`, upd.p);
    upd.state.forEach((t, k) => g.output(`new.${sNames[k]}`, t));
    if (opts.withGrads) g.output(`grad.${name}`, grads[i]);
  });
  const buffers = [...g.params.keys()].filter((k) => g.bufferUpdates.has(k));
  for (const b of buffers) g.output(`new.${b}`, g.bufferUpdates.get(b)!);
  const seedInput = g.inputs.find((t) => t.name === 'dropout_seed')?.name;
  return { trained, frozen, stateNames, buffers, ...(seedInput ? { seedInput } : {}) };
}

/**
 * The gradients, each plus an exact zero that depends on every gradient, so that ONNX Runtime runs the whole
 * optimizer after the whole backward pass. Otherwise its depth-first order updates each parameter as soon as
 * its gradient exists, and the 3 updated tensors per parameter (outputs, kept to the end) pile up while the
 * backward still holds activations; this way only the 1 gradient per parameter does (64³ GVSL step: in-use
 * peak 1493 → 1310 MiB). The zeros are chained so that the depth-first walk meets the gradients in the order
 * the backward made them (the earliest gradient's zero is the last node built, which the walk enters first).
 */
function afterAllGradients(grads: Tensor[]): Tensor[] {
  if (grads.length < 2) return grads;
  const byAge = [...grads].sort((a, b) => a.id - b.id);
  let zero = zeroAfter(byAge[byAge.length - 1]);
  for (let i = byAge.length - 2; i >= 0; i--) zero = add(zero, zeroAfter(byAge[i]));
  return grads.map((gr) => add(gr, zero));
}
