import type { DType } from '../../sdk/dtype';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import type { Module } from '../../sdk/nn/module';
import { reshape } from '../../sdk/ops';
import type { OptimizerSpec } from '../../sdk/optim';
import type { Tensor } from '../../sdk/tensor';
import { buildTrainStep, type TrainStep } from '../../sdk/train';

/** The type of one batch input: its dtype and static shape. */
export interface InputSpec {
  dtype: DType;
  shape: number[];
}

/** What a loss function returns: the scalar loss, and optionally more scalars to report and tensors to return. */
export interface LossResult {
  /** The scalar (shape `[]` or `[1]`) that is minimised. */
  loss: Tensor;
  /** Further scalars reported by every step and by `evaluate` (e.g. accuracy, loss terms). */
  metrics?: Record<string, Tensor>;
  /** Tensors that `evaluate` returns (e.g. the logits); not computed by training steps. */
  outputs?: Record<string, Tensor>;
}

/** How the loss function is being built: for the training step or for evaluation. */
export interface LossContext {
  graph: Graph;
  /** True for the training-step graph, false for the eval graph (BatchNorm's statistics, Dropout). */
  training: boolean;
}

/** A model, its loss and its optimizer: everything `buildTraining` turns into training and eval graphs. */
export interface TrainingSpec {
  /** The batch: input name → dtype and shape (e.g. `{ x: { dtype: 'float32', shape: [32, 784] }, … }`). */
  inputs: Record<string, InputSpec>;
  /**
   * Builds the loss from the batch tensors. Called twice: once into the training-step graph (`training`
   * true) and once into the eval graph (`training` false).
   */
  loss(batch: Record<string, Tensor>, ctx: LossContext): Tensor | LossResult;
  /** The optimizer and its settings (PyTorch's defaults), e.g. `{ kind: 'adamw', weightDecay: 0.01 }`. */
  optimizer: OptimizerSpec;
  /** Clip the global gradient L2 norm to this value (torch.nn.utils.clip_grad_norm_); reports `grad_norm`. */
  clipGradNorm?: number;
  /** Parameters that are not trained (no gradient, no optimizer state). */
  frozen?: (name: string) => boolean;
  /**
   * The model the loss calls: its parameter order becomes the state dict's order, and when it has
   * `train()`/`eval()` modes the eval graph is built in eval mode.
   */
  model?: Module;
  /** ONNX opset of both graphs (default: the SDK's). */
  opset?: number;
  /** Graph name (default 'train'). */
  name?: string;
}

/**
 * A training problem compiled to ONNX: the training-step graph, the eval graph and the names that tie them to a
 * state dict. Plain data (it can be posted to a worker thread or kept with a checkpoint).
 */
export interface TrainingProgram {
  /** The training-step graph (forward + backward + optimizer), parameters as inputs (sdk/train.ts's contract). */
  train: Uint8Array;
  /** The eval graph: the forward pass and loss without the optimizer, parameters as inputs (none: no `evaluate`). */
  eval?: Uint8Array;
  /** Batch inputs, fed by the caller every step. */
  inputs: Record<string, InputSpec>;
  /** Parameters and buffers, in state-dict order. */
  stateDictKeys: string[];
  /** Parameters (trained and frozen). */
  params: string[];
  /** Trained parameters. */
  trained: string[];
  /**
   * Buffers: state that is not trained (BatchNorm's running statistics), fed every step and carried forward when
   * the step updates it (`new.<key>`), plus any other input X the step graph updates as `new.X`.
   */
  buffers: string[];
  /** Optimizer state input names per trained parameter (`adam.m.fc.weight`, …), from `stateSlots`. */
  optimizerState: Record<string, string[]>;
  /** Type of every state entry (parameters, buffers, optimizer state), as in a state dict. */
  stateTypes: Record<string, InputSpec>;
  /**
   * State entries that are int64 in the state dict but int32 in the graphs (BatchNorm's num_batches_tracked:
   * no WebGPU kernel reads int64, docs/gpus.md). The `Trainer` converts them when it feeds and reads its state.
   */
  int32Carried: string[];
  /** The int32 seed input of the step graph's Dropouts (`dropout_seed`), if it has one (docs/nn.md). */
  seedInput?: string;
  /** Scalar outputs of a training step (loss, metrics, grad_norm). */
  metrics: string[];
  /** Outputs of the eval graph that `evaluate` returns as tensors. */
  evalOutputs: string[];
  optimizer: OptimizerSpec;
}

/** The step graph's Dropout seed input (docs/nn.md, "The dropout seed"). */
export const DROPOUT_SEED = 'dropout_seed';

function asResult(r: Tensor | LossResult): LossResult {
  return 'loss' in r && !('graph' in r) ? r : { loss: r as Tensor };
}

/** A model with PyTorch-style modes (`train(mode)`, `training`; docs/nn.md), if it has them. */
function modes(model: Module | undefined): { training: boolean; train(mode?: boolean): unknown } | null {
  const m = model as unknown as { training?: unknown; train?: unknown } | undefined;
  return m && typeof m.train === 'function' && typeof m.training === 'boolean'
    ? (m as { training: boolean; train(mode?: boolean): unknown })
    : null;
}

/** Buffers declared in `g` (docs/nn.md: `Graph.buffer`; none on a graph without them). */
function declaredBuffers(g: Graph): Set<string> {
  return (g as unknown as { buffers?: Set<string> }).buffers ?? new Set();
}

function buildLoss(spec: TrainingSpec, name: string, training: boolean): { g: Graph; r: LossResult } {
  const g = new Graph(name);
  g.int64BuffersAsInt32 = true;
  const batch: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(spec.inputs)) batch[k] = g.input(k, t.dtype, t.shape);
  const m = modes(spec.model);
  const was = m?.training;
  m?.train(training);
  try {
    const r = asResult(spec.loss(batch, { graph: g, training }));
    if (r.loss.size !== 1) {
      throw new Error(
        `the loss must be a scalar, but it is ${r.loss.type}: reduce it (e.g. ops.reduceMean over every axis, or F.crossEntropy's default 'mean' reduction)`,
      );
    }
    for (const [k, t] of Object.entries(r.metrics ?? {})) {
      if (t.size !== 1)
        throw new Error(`metric '${k}' must be a scalar, but it is ${t.type}: reduce it, or return it under 'outputs'`);
    }
    return { g, r };
  } finally {
    if (m && was !== undefined) m.train(was);
  }
}

/**
 * Builds the training-step graph and the eval graph of a model, a loss and an optimizer.
 * @example
 * const model = new nn.Linear(4, 1);
 * const program = buildTraining({
 *   model,
 *   inputs: { x: { dtype: 'float32', shape: [8, 4] }, y: { dtype: 'float32', shape: [8, 1] } },
 *   loss: ({ x, y }) => { const d = ops.sub(model.call(x), y); return ops.reduceMean(ops.mul(d, d), [0, 1]); },
 *   optimizer: { kind: 'adam' },
 * });
 */
export function buildTraining(spec: TrainingSpec): TrainingProgram {
  const name = spec.name ?? 'train';
  const { g, r } = buildLoss(spec, name, true);
  const loss = r.loss.shape.length ? reshapeScalar(r.loss) : r.loss;
  const metrics: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(r.metrics ?? {})) metrics[k] = t.shape.length ? reshapeScalar(t) : t;
  if ([...g.params.keys()].every((k) => declaredBuffers(g).has(k))) {
    throw new Error(
      'the loss depends on no parameters, so there is nothing to train: build it from modules (nn.Linear, …) or graph.param tensors',
    );
  }
  const step = buildTrainStep(g, loss, metrics, {
    optimizer: spec.optimizer,
    clipGradNorm: spec.clipGradNorm,
    frozen: spec.frozen,
  });
  if (step.trained.length === 0)
    throw new Error('every parameter is frozen, so there is nothing to train: check the `frozen` predicate');

  const e = buildLoss(spec, `${name}_eval`, false);
  e.g.output('loss', e.r.loss.shape.length ? reshapeScalar(e.r.loss) : e.r.loss);
  for (const [k, t] of Object.entries(e.r.metrics ?? {})) e.g.output(k, t.shape.length ? reshapeScalar(t) : t);
  for (const [k, t] of Object.entries(e.r.outputs ?? {})) e.g.output(k, t);
  const evalModel = exportModel(e.g, { params: 'inputs', opset: spec.opset }).model;

  return programFromStepGraph(g, step, {
    optimizer: spec.optimizer,
    model: spec.model,
    opset: spec.opset,
    eval: evalModel,
    evalOutputs: Object.keys(e.r.outputs ?? {}),
  });
}

/** Options of `programFromStepGraph`. */
export interface StepGraphOptions {
  /** The optimizer the step graph was built with. */
  optimizer: OptimizerSpec;
  /** The model, for the state dict's order. */
  model?: Module;
  opset?: number;
  /** The step graph already exported (`exportModel(g, { params: 'inputs' }).model`), if it was. */
  train?: Uint8Array;
  /** An eval graph (parameters as inputs), and which of its outputs are tensors to return rather than scalars. */
  eval?: Uint8Array;
  evalOutputs?: string[];
}

/**
 * A `TrainingProgram` from a training-step graph built by `buildTrainStep` (e.g. GVSL's `buildGvslTrainGraph`),
 * for graphs that are built by hand rather than by `buildTraining`. Without `eval`, `Trainer.evaluate` is
 * unavailable.
 */
export function programFromStepGraph(g: Graph, step: TrainStep, o: StepGraphOptions): TrainingProgram {
  const train = o.train ?? exportModel(g, { params: 'inputs', opset: o.opset }).model;
  const bufferKeys = declaredBuffers(g);
  const stateTypes: Record<string, InputSpec> = {};
  const int32Carried = [...g.int32CarriedBuffers];
  for (const [k, t] of g.params) stateTypes[k] = { dtype: t.dtype, shape: [...t.shape] };
  for (const k of int32Carried) stateTypes[k].dtype = 'int64';
  const params = [...g.params.keys()].filter((k) => !bufferKeys.has(k));
  const optimizerState: Record<string, string[]> = {};
  for (const [p, slots] of step.stateNames) {
    optimizerState[p] = slots;
    for (const s of slots) stateTypes[s] = stateTypes[p];
  }
  // Buffers: those declared as such (fed every step, carried when updated), and any other input X that the
  // step updates as `new.X` (carried generically).
  const carried = g.inputs.filter((t) => g.outputs.has(`new.${t.name}`) && !(t.name in stateTypes));
  for (const t of carried) stateTypes[t.name] = { dtype: t.dtype, shape: [...t.shape] };
  const buffers = [...bufferKeys, ...carried.map((t) => t.name)];
  const named = o.model as unknown as { namedState?(): Iterable<[string, unknown]> } | undefined;
  const modelOrder = o.model ? (named?.namedState ? named.namedState() : o.model.namedParameters()) : [];
  const order = [...modelOrder].map(([k]) => k).filter((k) => k in stateTypes);
  const stateDictKeys = [...new Set([...order, ...params, ...buffers])];

  const fed = new Set(['lr', 'step', DROPOUT_SEED]);
  const inputs: Record<string, InputSpec> = {};
  for (const t of g.inputs)
    if (!fed.has(t.name) && !(t.name in stateTypes)) inputs[t.name] = { dtype: t.dtype, shape: [...t.shape] };
  const metrics = [...g.outputs]
    .filter(([k, t]) => !k.startsWith('new.') && !k.startsWith('grad.') && t.size === 1)
    .map(([k]) => k);
  return {
    train,
    eval: o.eval,
    inputs,
    stateDictKeys,
    params,
    trained: step.trained,
    buffers,
    optimizerState,
    stateTypes,
    int32Carried,
    seedInput: g.inputs.find((t) => t.name === DROPOUT_SEED)?.name,
    metrics,
    evalOutputs: o.evalOutputs ?? [],
    optimizer: o.optimizer,
  };
}

/** A [1] or [1, 1] loss becomes a scalar output, so that every metric reads the same way. */
function reshapeScalar(t: Tensor): Tensor {
  return reshape(t, []);
}
