import type * as ort from 'onnxruntime-node';
import { type DType, numel } from '../sdk/dtype';
import type { NamedArray, StateDict } from '../sdk/state';
import { createSession, fromOrt, type SessionOptions, toOrt, zeros } from './ort';

/** Scalar outputs (loss terms) of one training step. */
export type StepMetrics = Record<string, number>;

/**
 * Runs a training-step graph (see sdk/train.ts) in a loop with onnxruntime-node: every output `new.X` is fed
 * back as input `X` of the next step, `step` counts from 1, and scalar outputs come back as numbers.
 * State inputs that the caller gives no value for (optimizer moments) start at zero.
 */
export class TrainingSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly state: Map<string, NamedArray>,
    /** Inputs the caller feeds every step (the batch). */
    readonly batchInputs: string[],
    public stepCount: number,
  ) {}

  static async create(model: Uint8Array | string, initial: StateDict, opts: SessionOptions & { step?: number } = {}): Promise<TrainingSession> {
    const session = await createSession(model, opts);
    const outputs = new Set(session.outputNames);
    const state = new Map<string, NamedArray>();
    const batch: string[] = [];
    for (const meta of session.inputMetadata) {
      const name = meta.name;
      if (name === 'lr' || name === 'step') continue;
      const given = initial.get(name);
      if (!outputs.has(`new.${name}`) && !given) {
        batch.push(name);
        continue;
      }
      if (given) {
        state.set(name, given);
        continue;
      }
      if (!meta.isTensor) throw new Error(`input '${name}' is not a tensor`);
      const shape = meta.shape.map((d) => {
        if (typeof d !== 'number') throw new Error(`input '${name}' has a symbolic dimension '${d}'`);
        return d;
      });
      state.set(name, zeros(meta.type as DType, shape));
    }
    return new TrainingSession(session, state, batch, opts.step ?? 0);
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
    for (const [k, v] of this.state) feeds[k] = toOrt(v);
    const out = await this.session.run(feeds);
    const metrics: StepMetrics = {};
    for (const [name, v] of Object.entries(out)) {
      if (name.startsWith('new.')) this.state.set(name.slice(4), fromOrt(v));
      else if (numel(v.dims) === 1) metrics[name] = Number((v.data as Float32Array)[0]);
    }
    this.stepCount = t;
    return metrics;
  }

  /** Current parameters and optimizer state (shared arrays: copy before mutating). */
  getState(): StateDict {
    return new Map(this.state);
  }

  /** Replaces state entries (e.g. when resuming). Names and shapes must match. */
  setState(entries: StateDict): void {
    for (const [k, v] of entries) {
      const old = this.state.get(k);
      if (!old) throw new Error(`'${k}' is not a state input of this training graph`);
      if (old.shape.join() !== v.shape.join()) throw new Error(`'${k}' has shape [${v.shape}], the graph needs [${old.shape}]`);
      this.state.set(k, v);
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
