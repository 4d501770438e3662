/**
 * Worker-thread entry for training runs. Role `data`: loads the run's data once (through the BatchTask's
 * module: pre-training or fine-tuning) and answers batch requests.
 * Role `train`: hosts the ONNX Runtime training session (session.run blocks its thread for the whole step,
 * so the main thread stays free for progress, signals and checkpoint writes).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { NamedArray } from '../../sdk/state';
import { TrainingSession } from './session';
import type { BatchMaker, BatchTask } from './batches';

const port = parentPort!;
const transferOf = (arrays: { data: { buffer: ArrayBufferLike } }[]) => arrays.map((a) => a.data.buffer as ArrayBuffer);

async function dataRole(task: BatchTask): Promise<void> {
  let make: BatchMaker;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the run's batch module is known only at run time
    const mod = require(task.module) as { batchMaker(cfg: unknown, warn: (m: string) => void): BatchMaker };
    make = mod.batchMaker(task.cfg, (message) => port.postMessage({ type: 'warn', message }));
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message });
    return;
  }
  port.postMessage({ type: 'ready' });
  port.on('message', (m: { type: string; step: number }) => {
    try {
      const batch = make(m.step);
      port.postMessage({ type: 'batch', step: m.step, batch }, transferOf(Object.values(batch)));
    } catch (e) {
      port.postMessage({ type: 'error', message: (e as Error).message });
    }
  });
}

async function trainRole(init: {
  model: string;
  state: [string, NamedArray][];
  options: Record<string, unknown>;
  step: number;
}): Promise<void> {
  let session: TrainingSession;
  try {
    session = await TrainingSession.create(init.model, new Map(init.state), { ...init.options, step: init.step });
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message });
    return;
  }
  port.postMessage({ type: 'ready' });
  port.on('message', async (m: { type: string; id: number; batch?: Record<string, never>; lr?: number }) => {
    try {
      if (m.type === 'step') {
        const metrics = await session.step(m.batch!, m.lr!);
        port.postMessage({ type: 'result', id: m.id, metrics });
      } else if (m.type === 'state') {
        const state = [...(await session.getStateAsync())].map(
          ([k, v]) => [k, { ...v, data: v.data.slice() }] as const,
        );
        port.postMessage(
          { type: 'result', id: m.id, state },
          state.map(([, v]) => v.data.buffer as ArrayBuffer),
        );
      } else if (m.type === 'release') {
        await session.release();
        port.postMessage({ type: 'result', id: m.id });
      }
    } catch (e) {
      port.postMessage({ type: 'result', id: m.id, error: (e as Error).message });
    }
  });
}

if (workerData?.role === 'data') void dataRole(workerData.task);
else if (workerData?.role === 'train') void trainRole(workerData.init);
