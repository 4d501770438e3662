import { grad } from './autodiff';
import { BuildError } from './errors';
import type { Graph } from './graph';
import { add, clip, concat, div, mul, reduceSum, reshape, slice, sqrt } from './ops';
import { zeroAfter } from './remat';
import { type OptimizerSpec, optimizerUpdate, type StepInputs, stateSlots } from './optim';
import type { Tensor } from './tensor';

export interface TrainStepOptions {
  optimizer: OptimizerSpec;
  /** Also output `grad.P` for every trained parameter. */
  withGrads?: boolean;
  /** Parameters that stay fixed: no gradient, no optimizer state, no `new.P` output. */
  frozen?: (name: string) => boolean;
  /** Clip the global gradient L2 norm to this value (torch.nn.utils.clip_grad_norm_). */
  clipGradNorm?: number;
  /**
   * Also output `state_check`: 0 when every updated parameter and optimizer state value is finite, NaN
   * otherwise (0 times the sum of each new tensor; a false alarm only if a tensor's sum overflows float32). A trainer checks it
   * before keeping a checkpoint, so a step whose update overflowed is never saved.
   */
  stateCheck?: boolean;
}

/** Name of the output that `stateCheck` adds. */
export const STATE_CHECK = 'state_check';

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
 * forward + backward + optimizer update. The contract (docs/dsl.md, "The training-step graph contract"):
 *   inputs:  the batch tensors (already in `g`), `lr`, `step` (float32 scalars; step is the 1-based t),
 *            every parameter P and buffer B (by state_dict key), the optimizer state of each trained P
 *            (`adam.m.P`, `adam.v.P`, …), and `dropout_seed` (int32) if the model has a train-mode Dropout;
 *   outputs: `loss`, each named term, `new.P` and `new.<state>.P`, `new.B` for every updated buffer, and
 *            with `withGrads` `grad.P`, and with `stateCheck` the scalar `state_check` (0, or NaN when
 *            some new value is not finite). Buffers get no gradient and no optimizer state (docs/nn.md).
 * `loss` is the loss at the parameters BEFORE the update. Export it with `params: 'inputs'`.
 * The same pieces, split in two, make the data-parallel graphs: buildGradientsStep + buildApplyStep.
 */
export function buildTrainStep(
  g: Graph,
  loss: Tensor,
  terms: Record<string, Tensor>,
  opts: TrainStepOptions,
): TrainStep {
  checkScalarLoss(g, loss);
  const inputs = stepInputs(g);
  const { trained, frozen, params } = trainedParams(g, opts.frozen);
  outputLosses(g, loss, terms);
  let grads = g.withScope('backward', () => grad(loss, params));
  // Clipped gradients already wait for every gradient (through the global norm), as afterAllGradients's zeros
  // would make them: one pass less per parameter.
  if (opts.clipGradNorm !== undefined) grads = clipGradNorm(g, grads, opts.clipGradNorm);
  else grads = g.withScope('backward', () => afterAllGradients(grads));
  const { stateNames, updated } = optimizerUpdates(
    g,
    trained,
    params,
    grads,
    opts.optimizer,
    inputs,
    opts.withGrads ?? false,
  );
  if (opts.stateCheck) {
    g.withScope('state_check', () => {
      // Sum each tensor first (one read, no copy), then 0·sum: 0 for a finite sum, NaN when any element is ±Inf or
      // NaN. A false alarm needs a tensor whose sum overflows float32 (~3.4e38), which no healthy run reaches;
      // multiplying every element by 0 first (the earlier form) wrote a full copy of every updated tensor per step.
      const parts = updated.map((t) =>
        reduceSum(
          t,
          t.shape.map((_, i) => i),
        ),
      );
      g.output(STATE_CHECK, mul(parts.length ? parts.reduce((a, b) => add(a, b)) : g.scalar(0), 0));
    });
  }
  const buffers = [...g.params.keys()].filter((k) => g.bufferUpdates.has(k));
  for (const b of buffers) g.output(`new.${b}`, g.bufferUpdates.get(b)!);
  const seedInput = g.inputs.find((t) => t.name === 'dropout_seed')?.name;
  return { trained, frozen, stateNames, buffers, ...(seedInput ? { seedInput } : {}) };
}

/** Where one trained parameter's gradient lies in the flat gradient buffer (elements, not bytes). */
export interface FlatSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface GradientsStep {
  /** Trained parameters in buffer order (the graph's parameter order), with their offsets. */
  layout: FlatSlot[];
  /** Elements in the flat gradient buffer. */
  total: number;
  frozen: string[];
}

/**
 * The first half of a data-parallel step: inputs the batch and every parameter P; outputs `loss`, each named
 * term and `grads`, ONE flat float32 buffer holding every trained parameter's gradient (flattened row-major,
 * one after another in `layout` order), so that one all-reduce covers them all. No clipping: the global norm
 * belongs after averaging, in buildApplyStep.
 */
export function buildGradientsStep(
  g: Graph,
  loss: Tensor,
  terms: Record<string, Tensor>,
  opts: { frozen?: (name: string) => boolean } = {},
): GradientsStep {
  checkScalarLoss(g, loss);
  const { trained, frozen, params } = trainedParams(g, opts.frozen);
  outputLosses(g, loss, terms);
  const grads = g.withScope('backward', () => grad(loss, params));
  const layout: FlatSlot[] = [];
  let total = 0;
  trained.forEach((name, i) => {
    const size = params[i].size;
    layout.push({ name, shape: [...params[i].shape], offset: total, size });
    total += size;
  });
  const flat = g.withScope('flatten', () =>
    concat(
      grads.map((gr) => reshape(gr, [gr.size])),
      0,
    ),
  );
  g.output('grads', flat);
  return { layout, total, frozen };
}

/**
 * The second half: inputs `lr`, `step`, every parameter of `layout`, its optimizer state and `grads` (the
 * averaged flat buffer of buildGradientsStep); outputs `new.P` and `new.<state>.P` (and `grad_norm` when
 * clipping), exactly the updates of buildTrainStep.
 */
export function buildApplyStep(
  g: Graph,
  layout: readonly FlatSlot[],
  opts: Omit<TrainStepOptions, 'withGrads' | 'frozen'>,
): TrainStep {
  const inputs = stepInputs(g);
  const params = layout.map((s) => g.param(s.name, 'float32', s.shape));
  const total = layout.reduce((n, s) => n + s.size, 0);
  const flat = g.input('grads', 'float32', [total]);
  let grads = g.withScope('unflatten', () =>
    layout.map((s) => reshape(slice(flat, { axes: [0], starts: [s.offset], ends: [s.offset + s.size] }), s.shape)),
  );
  if (opts.clipGradNorm !== undefined) grads = clipGradNorm(g, grads, opts.clipGradNorm);
  const trained = layout.map((s) => s.name);
  const { stateNames } = optimizerUpdates(g, trained, params, grads, opts.optimizer, inputs, false);
  return { trained, frozen: [], stateNames, buffers: [] };
}

function checkScalarLoss(g: Graph, loss: Tensor): void {
  if (loss.size !== 1) throw new BuildError('train', g.scope, `the loss must be a scalar, got ${loss.type}`);
}

function stepInputs(g: Graph): StepInputs {
  const lr = g.input('lr', 'float32', []);
  const step = g.input('step', 'float32', []);
  return { lr, step };
}

function trainedParams(
  g: Graph,
  isFrozen: (name: string) => boolean = () => false,
): { trained: string[]; frozen: string[]; params: Tensor[] } {
  const names = [...g.params.keys()].filter((n) => !g.buffers.has(n));
  const trained = names.filter((n) => !isFrozen(n));
  const frozen = names.filter((n) => isFrozen(n));
  return { trained, frozen, params: trained.map((n) => g.params.get(n)!) };
}

function outputLosses(g: Graph, loss: Tensor, terms: Record<string, Tensor>): void {
  g.output('loss', loss);
  for (const [k, t] of Object.entries(terms)) g.output(k, t);
}

/** torch.nn.utils.clip_grad_norm_ over all gradients; outputs `grad_norm` (the norm before clipping). */
function clipGradNorm(g: Graph, grads: Tensor[], maxNorm: number): Tensor[] {
  return g.withScope('clip_grad_norm', () => {
    const sq = grads.map((gr) =>
      reduceSum(
        mul(gr, gr),
        gr.shape.map((_, i) => i),
      ),
    );
    const norm = sqrt(sq.length ? sq.reduce((a, b) => add(a, b)) : g.scalar(0));
    g.output('grad_norm', norm);
    // torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), at most 1; reports the norm before clipping.
    const coef = clip(div(g.scalar(maxNorm), add(norm, 1e-6)), { max: 1 });
    return grads.map((gr) => mul(gr, coef));
  });
}

/** One optimizer update per trained parameter: state inputs `<slot>P`, outputs `new.P`, `new.<slot>P` (and `grad.P`). */
function optimizerUpdates(
  g: Graph,
  trained: string[],
  params: Tensor[],
  grads: Tensor[],
  optimizer: OptimizerSpec,
  inputs: StepInputs,
  withGrads: boolean,
): { stateNames: Map<string, string[]>; updated: Tensor[] } {
  const slots = stateSlots(optimizer);
  const stateNames = new Map<string, string[]>();
  const updated: Tensor[] = [];
  trained.forEach((name, i) => {
    const p = params[i];
    const sNames = slots.map((s) => s + name);
    stateNames.set(name, sNames);
    const state = sNames.map((s) => g.input(s, p.dtype, p.shape));
    const upd = g.withScope(`optimizer.${name}`, () => optimizerUpdate(optimizer, p, grads[i], state, inputs));
    g.output(`new.${name}`, upd.p);
    upd.state.forEach((t, k) => g.output(`new.${sNames[k]}`, t));
    updated.push(upd.p, ...upd.state);
    if (withGrads) g.output(`grad.${name}`, grads[i]);
  });
  return { stateNames, updated };
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
