import type { Writable } from 'node:stream';
import { makeBatch } from '../batches';
import type { PretrainConfig } from '../config';
import { loadVolumes } from '../volumes';
import { encodeFrame } from './frames';

/** Which samples of each step's global batch rank `rank` of `world` trains on, per micro-batch. */
export interface RankSlice {
  rank: number;
  world: number;
  /** Samples per micro-batch (the gradients graph's batch). */
  microBatch: number;
}

/**
 * Micro-batches per step on each rank: the global batch over (world × micro-batch). The global batch stays
 * the same whatever the number of ranks: fewer ranks accumulate more micro-batches.
 */
export function accumulationSteps(globalBatch: number, s: RankSlice): number {
  const per = s.world * s.microBatch;
  if (globalBatch % per !== 0) {
    throw new Error(
      `the global batch ${globalBatch} does not split into ${s.world} rank(s) × micro-batches of ${s.microBatch}: choose a world size that divides ${globalBatch / s.microBatch}`,
    );
  }
  return globalBatch / per;
}

/**
 * Samples [first, end) of the step's global batch for micro-batch `micro` of rank `rank`: each rank holds a
 * contiguous block of accumulation × micro-batch samples, so 2 ranks × 1 and 1 rank × 2 micro-batches sum
 * exactly the samples of the single-process batch.
 */
export function sliceOf(globalBatch: number, s: RankSlice, micro: number): [number, number] {
  const a = accumulationSteps(globalBatch, s);
  const first = (s.rank * a + micro) * s.microBatch;
  return [first, first + s.microBatch];
}

/**
 * Streams rank `slice.rank`'s micro-batches for steps first..last (1-based, inclusive) as frames (frames.ts)
 * to `out`, waiting for the reader when the pipe is full; the same volumes, crops and augmentations as
 * `onnx-train pretrain` (runtime/pretrain/batches.ts makeBatch).
 */
export async function streamRankBatches(
  cfg: PretrainConfig,
  slice: RankSlice,
  first: number,
  last: number,
  out: Writable,
  warn: (m: string) => void,
): Promise<void> {
  const a = accumulationSteps(cfg.batch, slice);
  if (!(Number.isInteger(slice.rank) && slice.rank >= 0 && slice.rank < slice.world))
    throw new Error(`--rank ${slice.rank} is not in 0..${slice.world - 1}`);
  const volumes = loadVolumes(cfg, warn);
  const write = (buf: Buffer) =>
    new Promise<void>((resolve, reject) => {
      out.write(buf, (e) => (e ? reject(e) : resolve()));
    });
  await write(encodeFrame({ type: 'ready', volumes: volumes.length }));
  for (let step = first; step <= last; step++) {
    for (let micro = 0; micro < a; micro++) {
      const samples = sliceOf(cfg.batch, slice, micro);
      const b = makeBatch(volumes, cfg, step, samples);
      const names = ['img_aug', 'img', 'img2'];
      const tensors = names.map((n) => b[n]);
      await write(
        encodeFrame(
          {
            type: 'batch',
            step,
            micro,
            samples,
            tensors: names.map((name, i) => ({ name, dtype: 'float32', shape: [...tensors[i].shape] })),
          },
          tensors,
        ),
      );
    }
  }
}
