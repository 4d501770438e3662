import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { allocate, numel } from '../../sdk/dtype';
import type { NamedArray, StateDict } from '../../sdk/state';
import { createSession, runSession, type SessionOptions } from './ort';
import { workerScript } from './batches';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import { startTrainer, type TrainerHost } from './trainer-host';
import type { TrainingProgram } from './program';
import { asSchedule, type Schedule } from './schedules';

/** Options of `Trainer.create`: where to run, the learning rate, the starting weights. */
export interface TrainerOptions extends SessionOptions {
  /** Learning rate: a number, or a schedule of the step (`schedules.cosine(…)`, …). */
  lr: number | Schedule;
  /**
   * Parameters and buffers by state-dict key (e.g. `model.initStateDict(seed)` or weights loaded from
   * PyTorch). Every parameter and buffer needs a value; extra entries are an error. Optimizer state may be
   * included (a training checkpoint's); what is missing of it starts at zero, as in torch.optim.
   */
  weights: StateDict;
  /**
   * WebGPU: keep parameters and optimizer state in GPU memory between steps (default true on WebGPU); only the
   * scalars come back each step, and `stateDict()` copies the state back.
   */
  keepOnDevice?: boolean;
  /** Steps already done (default 0): the next step is step + 1. `resume` sets it from the checkpoint. */
  step?: number;
  /**
   * Seed of the run's Dropout masks (default 0): step t feeds `dropout_seed` = (seed · 1000003 + t) | 0, so a
   * resumed run draws the same masks as an uninterrupted one (docs/nn.md). Kept in checkpoints.
   */
  seed?: number;
  /** Run the training session in a worker thread, keeping this thread free (needs the compiled build, dist/). */
  worker?: boolean;
}

/** What `evaluate` returns: the eval graph's scalars, and the tensors the loss function returned as `outputs`. */
export interface EvalResult {
  metrics: Record<string, number>;
  outputs: Record<string, NamedArray>;
}

/** Metadata stored with a checkpoint by `Trainer.save`. */
export interface TrainerCheckpointConfig {
  optimizer: TrainingProgram['optimizer'];
  /** The Dropout seed of the run (`TrainerOptions.seed`). */
  seed: number;
  /** Free-form data of the caller (e.g. its run configuration). */
  user?: unknown;
}

function typeText(t: { dtype: string; shape: readonly number[] }): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}

/**
 * Runs a `TrainingProgram` with ONNX Runtime: creates and feeds the optimizer state, feeds the learning rate of
 * each step from its schedule, carries every `new.X` output back into input X (parameters, optimizer state,
 * buffers), evaluates with the eval graph, and saves and resumes checkpoints.
 * @example
 * const trainer = await Trainer.create(program, { weights: model.initStateDict(0), lr: schedules.cosine(1e-3, 100) });
 * for (const batch of batches) console.log((await trainer.step(batch)).loss);
 * const weights = await trainer.stateDict();
 */
export class Trainer {
  private evalSession: ort.InferenceSession | null = null;

  private constructor(
    /** The graphs and names this trainer runs. */
    readonly program: TrainingProgram,
    private readonly host: TrainerHost,
    private readonly schedule: Schedule,
    private readonly options: TrainerOptions,
    private steps: number,
  ) {}

  /** Starts a trainer for `program` from `options.weights` (see `TrainerOptions`). */
  static async create(program: TrainingProgram, options: TrainerOptions): Promise<Trainer> {
    const state = initialState(program, options.weights);
    const step = options.step ?? 0;
    if (!Number.isInteger(step) || step < 0) throw new Error(`step must be an integer >= 0, got ${step}`);
    if (options.worker && !workerScript())
      throw new Error('a worker-thread trainer needs the compiled build (run `npm run build` and import from dist/)');
    const { lr, weights, step: _s, worker, seed, ...session } = options;
    const host = await startTrainer(program.train, state, session, step, !!worker);
    return new Trainer(program, host, asSchedule(lr), options, step);
  }

  /**
   * Continues training from a checkpoint written by `save`: parameters, buffers, optimizer state and the step
   * count come from the file, so the run goes on exactly as an uninterrupted one would.
   */
  static async resume(
    program: TrainingProgram,
    file: string,
    options: Omit<TrainerOptions, 'weights' | 'step' | 'seed'>,
  ): Promise<Trainer> {
    const { state, meta } = loadCheckpoint<TrainerCheckpointConfig>(file);
    const want = JSON.stringify(program.optimizer);
    if (meta.config?.optimizer && JSON.stringify(meta.config.optimizer) !== want) {
      throw new Error(
        `${file} was written with optimizer ${JSON.stringify(meta.config.optimizer)}, this program uses ${want}: resume with the same optimizer, or load only its weights`,
      );
    }
    for (const slots of Object.values(program.optimizerState)) {
      for (const s of slots)
        if (!state.has(s))
          throw new Error(`${file} has no optimizer state '${s}': it is not a training checkpoint of this program`);
    }
    return Trainer.create(program, { ...options, weights: state, step: meta.step, seed: meta.config?.seed ?? 0 });
  }

  /** Optimizer steps done so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** The learning rate the next step will use. */
  get lr(): number {
    return this.schedule(this.steps);
  }

  /**
   * Runs one training step on `batch` (every input of the program, by name) and returns its scalars: `loss`
   * (at the parameters before the update), the loss function's metrics, and `grad_norm` with gradient clipping.
   */
  async step(batch: Record<string, NamedArray>): Promise<Record<string, number>> {
    checkBatch(this.program, batch);
    // The worker host transfers the batch's buffers (they would be detached here): send copies.
    const fed = this.options.worker
      ? Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, copy(v)]))
      : { ...batch };
    if (this.program.seedInput) fed[this.program.seedInput] = this.dropoutSeed(this.steps + 1);
    const metrics = await this.host.step(fed, this.lr);
    this.steps++;
    return metrics;
  }

  /** Runs the eval graph (eval mode, no update) on `batch` with the current parameters and buffers. */
  async evaluate(batch: Record<string, NamedArray>): Promise<EvalResult> {
    checkBatch(this.program, batch);
    const { lr, weights, step, worker, seed, ...session } = this.options;
    if (!this.program.eval)
      throw new Error(
        'this program has no eval graph (it was made from a step graph alone): build it with buildTraining, or pass `eval` to programFromStepGraph',
      );
    this.evalSession ??= await createSession(this.program.eval, session);
    const state = await this.host.state();
    const feeds: Record<string, NamedArray> = {};
    for (const name of this.evalSession.inputNames) {
      const v = batch[name] ?? state.get(name);
      if (v) feeds[name] = v;
      // Eval-mode Dropout is the identity, so these are unusual; fed as a training step would be.
      else if (name === this.program.seedInput) feeds[name] = this.dropoutSeed(this.steps);
      else if (name === 'step') feeds[name] = { dtype: 'float32', shape: [], data: Float32Array.of(this.steps) };
    }
    const out = await runSession(this.evalSession, feeds);
    const outputs = new Set(this.program.evalOutputs);
    const metrics: Record<string, number> = {};
    const tensors: Record<string, NamedArray> = {};
    for (const [k, v] of Object.entries(out)) {
      if (outputs.has(k)) tensors[k] = v;
      else metrics[k] = Number(v.data[0]);
    }
    return { metrics, outputs: tensors };
  }

  /** Parameters and buffers by PyTorch state-dict key, in the model's order (fresh copies). */
  async stateDict(): Promise<StateDict> {
    const state = await this.hostState();
    return new Map(this.program.stateDictKeys.map((k) => [k, copy(state.get(k)!)]));
  }

  /** Everything carried between steps: parameters, buffers and optimizer state (`adam.m.<key>`, …). */
  async fullState(): Promise<StateDict> {
    return new Map([...(await this.hostState())].map(([k, v]) => [k, copy(v)]));
  }

  /**
   * Writes a training checkpoint: one safetensors file with parameters, buffers, optimizer state, the step
   * count and `user` (JSON) as metadata, atomically (a crash never leaves a broken file). Returns its path.
   */
  async save(file: string, user?: unknown): Promise<string> {
    const config: TrainerCheckpointConfig = { optimizer: this.program.optimizer, seed: this.options.seed ?? 0, user };
    return saveCheckpoint(
      path.dirname(path.resolve(file)),
      await this.hostState(),
      { config, step: this.steps },
      path.basename(file),
    );
  }

  /** The carried state with the state dict's dtypes (`program.int32Carried` back to int64). */
  private async hostState(): Promise<StateDict> {
    const state = await this.host.state();
    for (const k of this.program.int32Carried ?? []) {
      const v = state.get(k)!;
      state.set(k, { dtype: 'int64', shape: [...v.shape], data: BigInt64Array.from(v.data as Int32Array, BigInt) });
    }
    return state;
  }

  /** The `dropout_seed` fed at step t (1-based). */
  private dropoutSeed(t: number): NamedArray {
    return { dtype: 'int32', shape: [], data: Int32Array.of(((this.options.seed ?? 0) * 1000003 + t) | 0) };
  }

  /** Frees the sessions (and the worker thread). */
  async release(): Promise<void> {
    await this.host.release();
    if (this.evalSession) await this.evalSession.release();
  }
}

function copy(a: NamedArray): NamedArray {
  return { dtype: a.dtype, shape: [...a.shape], data: a.data.slice() };
}

/** Every batch input present, with the program's dtype and shape; nothing else. */
function checkBatch(program: TrainingProgram, batch: Record<string, NamedArray>): void {
  const names = Object.keys(program.inputs);
  for (const [k, want] of Object.entries(program.inputs)) {
    const got = batch[k];
    if (!got) throw new Error(`batch input '${k}' is missing: the model takes ${names.join(', ')}`);
    if (got.dtype !== want.dtype || got.shape.join() !== want.shape.join()) {
      throw new Error(
        `batch input '${k}' is ${typeText(got)}, the model was built for ${typeText(want)}: rebuild the program for this shape or reshape the batch`,
      );
    }
    if (got.data.length !== numel(got.shape))
      throw new Error(`batch input '${k}' has ${got.data.length} values for shape [${got.shape}]`);
  }
  for (const k of Object.keys(batch))
    if (!(k in program.inputs))
      throw new Error(`batch input '${k}' is not an input of the model (it takes ${names.join(', ')})`);
}

/**
 * The state the step graph starts from: every parameter and buffer from `weights` (checked), the optimizer
 * state from `weights` when it is there (resuming) and zeros otherwise (torch.optim's fresh state).
 */
function initialState(program: TrainingProgram, weights: StateDict): StateDict {
  const state: StateDict = new Map();
  const need = [...program.params, ...program.buffers];
  const missing = need.filter((k) => !weights.has(k));
  if (missing.length) {
    throw new Error(
      `no value for ${missing.length === 1 ? `'${missing[0]}'` : `${missing.length} entries ('${missing[0]}', …)`}: pass every parameter and buffer in \`weights\` (e.g. model.initStateDict(seed))`,
    );
  }
  const slots = new Set(Object.values(program.optimizerState).flat());
  const known = new Set(need);
  for (const k of weights.keys()) {
    if (!known.has(k) && !slots.has(k))
      throw new Error(
        `'${k}' in \`weights\` is not a parameter or buffer of this model (its keys: ${program.stateDictKeys.slice(0, 4).join(', ')}${program.stateDictKeys.length > 4 ? ', …' : ''})`,
      );
  }
  for (const k of [...need, ...slots]) {
    const want = program.stateTypes[k];
    const v = weights.get(k) ?? {
      dtype: want.dtype,
      shape: [...want.shape],
      data: allocate(want.dtype, numel(want.shape)),
    };
    if (v.dtype !== want.dtype || v.shape.join() !== want.shape.join())
      throw new Error(`'${k}' is ${typeText(v)}, the model needs ${typeText(want)}`);
    state.set(k, v);
  }
  for (const k of program.int32Carried ?? []) state.set(k, toInt32(k, state.get(k)!));
  return state;
}

/** An int64 state entry as the int32 tensor the graphs carry it in (`TrainingProgram.int32Carried`). */
function toInt32(key: string, v: NamedArray): NamedArray {
  const data = Int32Array.from(v.data as BigInt64Array, (x) => {
    if (x < -2147483648n || x > 2147483647n)
      throw new Error(`'${key}' is ${x}, outside the int32 range the training graph carries it in (±2^31)`);
    return Number(x);
  });
  return { dtype: 'int32', shape: [...v.shape], data };
}
