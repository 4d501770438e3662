import { Worker } from 'node:worker_threads';
import type { NamedArray, StateDict } from '../../sdk/state';
import type { SessionOptions } from './ort';
import { type StepMetrics, TrainingSession } from './session';
import { workerScript } from './batches';

/** The training session, in a worker thread when the compiled build is present, else in-process. */
export interface TrainerHost {
  step(batch: Record<string, NamedArray>, lr: number): Promise<StepMetrics>;
  state(): Promise<StateDict>;
  release(): Promise<void>;
}

export async function startTrainer(
  model: Uint8Array | string,
  state: StateDict,
  options: SessionOptions,
  step: number,
  useWorker: boolean,
): Promise<TrainerHost> {
  const script = useWorker ? workerScript() : null;
  if (!script) {
    const s = await TrainingSession.create(model, state, { ...options, step });
    return { step: (b, lr) => s.step(b, lr), state: () => s.getStateAsync(), release: () => s.release() };
  }
  const worker = new Worker(script, {
    workerData: { role: 'train', init: { model, state: [...state], options, step } },
  });
  await new Promise<void>((resolve, reject) => {
    const onMsg = (m: { type: string; message?: string }) => {
      worker.off('message', onMsg);
      if (m.type === 'ready') resolve();
      else reject(new Error(m.message));
    };
    worker.on('message', onMsg);
    worker.once('error', reject);
  });
  let nextId = 0;
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  worker.on('message', (m: { type: string; id: number; error?: string }) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(m.error));
    else w.resolve(m);
  });
  worker.on('error', (e) => {
    for (const w of waiting.values()) w.reject(e);
  });
  const call = (msg: Record<string, unknown>, transfer: ArrayBuffer[] = []) =>
    new Promise<any>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id }, transfer);
    });
  return {
    async step(batch, lr) {
      return (
        await call(
          { type: 'step', batch, lr },
          Object.values(batch).map((a) => a.data.buffer as ArrayBuffer),
        )
      ).metrics;
    },
    async state() {
      return new Map((await call({ type: 'state' })).state);
    },
    async release() {
      await call({ type: 'release' });
      await worker.terminate();
    },
  };
}
