import * as ort from 'onnxruntime-node';
import { type DType, numel } from '../../sdk/dtype';
import { exportModel } from '../../sdk/export';
import { Graph } from '../../sdk/graph';
import { identity } from '../../sdk/ops';
import type { NamedArray, StateDict } from '../../sdk/state';
import { createSession, fromOrt, rephraseRunError, type SessionOptions, toOrt, zeros } from './ort';

/** Scalar outputs (loss terms) of one training step. */
export type StepMetrics = Record<string, number>;

export interface TrainingSessionOptions extends SessionOptions {
  /** Steps already done (the next step is step + 1). */
  step?: number;
  /**
   * Keep parameters and optimizer state on the device between steps (default: true on WebGPU): the `new.*`
   * outputs stay GPU buffers and are fed straight back; only the scalar losses come to the CPU each step.
   * WebGPU only: onnxruntime-node 1.30 cannot keep CUDA outputs on the device (docs/gpus.md, "CUDA").
   */
  keepOnDevice?: boolean;
}

/**
 * Runs a training-step graph (see sdk/train.ts) in a loop with onnxruntime-node: every output `new.X` is fed
 * back as input `X` of the next step, `step` counts from 1, and scalar outputs come back as numbers.
 * State inputs that the caller gives no value for (optimizer moments) start at zero.
 */
export class TrainingSession {
  /** Reads device-resident state back to the CPU (see `getStateAsync`). */
  private reader: ort.InferenceSession | null = null;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly state: Map<string, ort.Tensor>,
    /** Inputs the caller feeds every step (the batch). */
    readonly batchInputs: string[],
    public stepCount: number,
    private readonly options: TrainingSessionOptions,
  ) {}

  static async create(
    model: Uint8Array | string,
    initial: StateDict,
    opts: TrainingSessionOptions = {},
  ): Promise<TrainingSession> {
    const keep = opts.keepOnDevice ?? opts.ep === 'webgpu';
    // NOTE: onnxruntime-node 1.30 binds 'gpu-buffer' outputs with its WebGPU memory info only, and hands back
    // as GPU tensors only WebGPU buffers; a CUDA session's outputs always come back to the CPU.
    if (keep && opts.ep !== 'webgpu')
      throw new Error(
        `keepOnDevice needs the WebGPU execution provider (onnxruntime-node 1.30 keeps outputs on the device only for WebGPU), not '${opts.ep ?? 'cpu'}'`,
      );
    // Device-resident outputs must be named when the session is created; only then is a cheap probe session
    // (no optimisation, no profile) needed for the names. Otherwise the session's own metadata is enough: a probe
    // of the GVSL training graph costs a third of a real session.
    let location: Record<string, ort.Tensor.DataLocation> | undefined;
    if (keep) {
      const probe = await createSession(model, {
        ...opts,
        ep: 'cpu',
        graphOptimizationLevel: 'disabled',
        profilePrefix: undefined,
      });
      location = Object.fromEntries(
        probe.outputNames.filter((o) => o.startsWith('new.')).map((o) => [o, 'gpu-buffer' as const]),
      );
      await probe.release();
    }
    const session = await createSession(model, { ...opts, preferredOutputLocation: location });
    const outputs = new Set(session.outputNames);
    const inputs = session.inputMetadata;
    const state = new Map<string, ort.Tensor>();
    const batch: string[] = [];
    for (const meta of inputs) {
      const name = meta.name;
      if (name === 'lr' || name === 'step') continue;
      const given = initial.get(name);
      if (!outputs.has(`new.${name}`) && !given) {
        batch.push(name);
        continue;
      }
      if (given) {
        state.set(name, toOrt(given));
        continue;
      }
      if (!meta.isTensor) throw new Error(`input '${name}' is not a tensor`);
      const shape = meta.shape.map((d) => {
        if (typeof d !== 'number') throw new Error(`input '${name}' has a symbolic dimension '${d}'`);
        return d;
      });
      state.set(name, toOrt(zeros(meta.type as DType, shape)));
    }
    return new TrainingSession(session, state, batch, opts.step ?? 0, opts);
  }

  /** Runs one step on `batch` with learning rate `lr`; returns the scalar outputs (loss terms). */
  async step(batch: Record<string, NamedArray>, lr: number): Promise<StepMetrics> {
    const t = this.stepCount + 1;
    const feeds: Record<string, ort.Tensor> = {
      lr: toOrt({ dtype: 'float32', shape: [], data: Float32Array.of(lr) }),
      step: toOrt({ dtype: 'float32', shape: [], data: Float32Array.of(t) }),
    };
    for (const name of this.batchInputs) {
      const b = batch[name];
      if (!b) throw new Error(`batch input '${name}' missing (the graph needs: ${this.batchInputs.join(', ')})`);
      feeds[name] = toOrt(b);
    }
    for (const [k, v] of this.state) feeds[k] = v;
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(feeds);
    } catch (e) {
      throw rephraseRunError(this.session, e as Error);
    }
    const metrics: StepMetrics = {};
    for (const [name, v] of Object.entries(out)) {
      if (name.startsWith('new.')) {
        const key = name.slice(4);
        const old = this.state.get(key);
        // The previous step's device buffers are no longer needed.
        if (old && old.location === 'gpu-buffer') old.dispose();
        this.state.set(key, v);
      } else if (numel(v.dims) === 1 && v.location === 'cpu') metrics[name] = Number((v.data as Float32Array)[0]);
    }
    this.stepCount = t;
    return metrics;
  }

  /** True when some state lives in device memory (read it with `getStateAsync`). */
  get onDevice(): boolean {
    return [...this.state.values()].some((t) => t.location !== 'cpu');
  }

  /** Current parameters and optimizer state when they are on the CPU (shared arrays: copy before mutating). */
  getState(): StateDict {
    if (this.onDevice) throw new Error('the training state is in device memory: use getStateAsync()');
    return new Map([...this.state].map(([k, v]) => [k, fromOrt(v)]));
  }

  /**
   * Current parameters and optimizer state on the CPU, wherever they live.
   * NOTE: in onnxruntime-node 1.30, `getData()` on a WebGPU output aborts the process (its native downloader
   * throws a C++ `const char*` that the binding never catches: "terminate called after throwing an instance of
   * 'char const*'", exit 134). Instead, the state is fed to a small Identity graph on the same execution
   * provider whose outputs are CPU tensors: ORT itself copies the buffers back.
   */
  async getStateAsync(): Promise<StateDict> {
    if (!this.onDevice) return this.getState();
    if (!this.reader) {
      const g = new Graph('read_state');
      let i = 0;
      for (const [name, t] of this.state) g.output(`read.${i++}`, identity(g.input(name, t.type as DType, t.dims)));
      this.reader = await createSession(exportModel(g).model, { ...this.options });
    }
    const out = await this.reader.run(Object.fromEntries(this.state));
    return new Map([...this.state.keys()].map((k, i) => [k, fromOrt(out[`read.${i}`])]));
  }

  /** Replaces state entries (e.g. when resuming). Names and shapes must match. */
  setState(entries: StateDict): void {
    for (const [k, v] of entries) {
      const old = this.state.get(k);
      if (!old) throw new Error(`'${k}' is not a state input of this training graph`);
      if (old.dims.join() !== v.shape.join())
        throw new Error(`'${k}' has shape [${v.shape}], the graph needs [${old.dims}]`);
      if (old.location === 'gpu-buffer') old.dispose();
      this.state.set(k, toOrt(v));
    }
  }

  async release(): Promise<void> {
    await this.session.release();
    if (this.reader) await this.reader.release();
  }
}
