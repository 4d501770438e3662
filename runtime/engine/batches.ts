import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Rng } from '../../sdk/nn/rng';
import type { NamedArray } from '../../sdk/state';
import { DataError } from '../data/errors';

/** The feeds of one training step, by graph input name. */
export type Batch = Record<string, NamedArray>;

/** Makes the batch of any step (a pure function of the step: see stepRng). */
export type BatchMaker = (step: number) => Batch;

/**
 * What the data worker loads: a compiled module exporting `batchMaker(cfg, warn)`, which loads the run's
 * data once and returns its BatchMaker (runtime/pretrain/batches.ts for pre-training, runtime/finetune/batches.ts
 * for segmentation).
 */
export interface BatchTask {
  /** Absolute path of the compiled module. */
  module: string;
  /** Its configuration (structured-cloned into the worker). */
  cfg: unknown;
}

/**
 * The random stream of step t depends only on (seed, t): any step's batch can be made again, in any order,
 * so a resumed run sees exactly the data and augmentations of an uninterrupted one.
 */
export function stepRng(seed: number, step: number): Rng {
  return sampleRng(seed, step, 0);
}

/**
 * The stream of sample `sample` of step t's batch (sample 0's is stepRng(seed, t), so batch-1 runs draw what
 * they always drew). One stream per sample lets a data-parallel rank draw its slice of the batch alone.
 */
export function sampleRng(seed: number, step: number, sample: number): Rng {
  return new Rng(
    (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(step, 0xc2b2ae35) + Math.imul(sample, 0x27d4eb2f)) >>> 0,
  );
}

/** Produces the batch of each step, ahead of the trainer. */
export interface BatchSource {
  get(step: number): Promise<Batch>;
  /** Seconds the trainer waited for data so far (0 means preparation kept ahead). */
  waited: number;
  close(): Promise<void>;
}

/** Prepares batches on the calling thread. */
export function inlineSource(make: BatchMaker): BatchSource {
  return {
    waited: 0,
    async get(step) {
      const t = performance.now();
      const b = make(step);
      this.waited += (performance.now() - t) / 1000;
      return b;
    },
    async close() {},
  };
}

/** The compiled worker script, when running from the build (dist/). */
export function workerScript(): string | null {
  const f = path.join(__dirname, 'worker.js');
  return fs.existsSync(f) ? f : null;
}

/**
 * Prepares batches in a worker thread, `ahead` steps in advance, so data preparation overlaps training.
 * `waited` measures how long the trainer actually waited for a batch.
 */
export async function workerSource(
  task: BatchTask,
  first: number,
  last: number,
  warn: (m: string) => void,
  ahead = 2,
): Promise<BatchSource> {
  const script = workerScript();
  if (!script) throw new Error('workerSource needs the compiled build (dist/); use inlineSource');
  const worker = new Worker(script, { workerData: { role: 'data', task } });
  const pending = new Map<
    number,
    { resolve: (b: Batch) => void; reject: (e: Error) => void; promise: Promise<Batch> }
  >();
  let failure: Error | null = null;
  worker.on('message', (m: { type: string; step?: number; batch?: Batch; message?: string }) => {
    if (m.type === 'warn') warn(m.message!);
    else if (m.type === 'batch') pending.get(m.step!)?.resolve(m.batch!);
    else if (m.type === 'error') {
      failure = new DataError(m.message!);
      for (const p of pending.values()) p.reject(failure);
    }
  });
  worker.on('error', (e) => {
    failure = e;
    for (const p of pending.values()) p.reject(e);
  });
  const request = (step: number) => {
    if (step > last || pending.has(step)) return;
    let resolve!: (b: Batch) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Batch>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => {});
    pending.set(step, { resolve, reject, promise });
    worker.postMessage({ type: 'batch', step });
  };
  // Wait until the worker has loaded the volumes (so bad data fails before training starts).
  await new Promise<void>((resolve, reject) => {
    const onMsg = (m: { type: string; message?: string }) => {
      if (m.type === 'ready') {
        worker.off('message', onMsg);
        resolve();
      } else if (m.type === 'error') reject(new DataError(m.message!));
    };
    worker.on('message', onMsg);
    worker.once('error', reject);
  });
  for (let s = first; s < first + ahead; s++) request(s);
  const source: BatchSource = {
    waited: 0,
    async get(step) {
      if (failure) throw failure;
      request(step);
      for (let s = step + 1; s <= step + ahead; s++) request(s);
      const t = performance.now();
      const b = await pending.get(step)!.promise;
      pending.delete(step);
      this.waited += (performance.now() - t) / 1000;
      return b;
    },
    async close() {
      await worker.terminate();
    },
  };
  return source;
}
