/**
 * The data side of data-parallel pre-training (runtime/pretrain/distributed): every rank draws exactly its slice
 * of each step's global batch, and the batch stream's frames carry the tensors intact.
 */
import { makePhantom } from '../../runtime/data';
import { makeBatch } from '../../runtime/pretrain/batches';
import type { PretrainConfig } from '../../runtime/pretrain/config';
import { decodeFrames, encodeFrame } from '../../runtime/pretrain/distributed/frames';
import { accumulationSteps, sliceOf } from '../../runtime/pretrain/distributed/rank-batches';
import type { NamedArray } from '../../sdk/state';

const values = (a: NamedArray) => Array.from(a.data as Float32Array);

const volumes = [0, 1, 2].map((seed) => makePhantom({ dims: [20, 20, 20], seed }));
const cfg = {
  size: [12, 12, 12],
  batch: 4,
  seed: 3,
  augment: { appearance: true, spatial: true },
  officialAugment: false,
} as unknown as PretrainConfig;

test('each rank × micro-batch slice holds exactly those samples of the global batch', () => {
  const step = 7;
  const whole = makeBatch(volumes, cfg, step);
  const m = 12 ** 3;
  for (const [world, micro] of [
    [2, 1],
    [4, 1],
    [1, 2],
    [2, 2],
    [1, 1],
  ]) {
    const a = accumulationSteps(cfg.batch, { rank: 0, world, microBatch: micro });
    expect(a * world * micro).toBe(cfg.batch);
    const seen: number[] = [];
    for (let rank = 0; rank < world; rank++) {
      for (let j = 0; j < a; j++) {
        const [first, end] = sliceOf(cfg.batch, { rank, world, microBatch: micro }, j);
        const part = makeBatch(volumes, cfg, step, [first, end]);
        for (const k of ['img_aug', 'img', 'img2']) {
          expect(part[k].shape).toEqual([micro, 1, 12, 12, 12]);
          expect(values(part[k])).toEqual(values(whole[k]).slice(first * m, end * m));
        }
        for (let s = first; s < end; s++) seen.push(s);
      }
    }
    expect(seen.sort((x, y) => x - y)).toEqual([0, 1, 2, 3]);
  }
  // Sample 0 of a batch is what a batch-1 run draws at that step (batch-1 data streams are unchanged).
  const one = makeBatch(volumes, { ...cfg, batch: 1 }, step);
  expect(values(one.img)).toEqual(values(whole.img).slice(0, m));
});

test('a world size the global batch cannot be split over is refused with the sizes that work', () => {
  expect(() => accumulationSteps(4, { rank: 0, world: 3, microBatch: 1 })).toThrow('does not split into 3 rank(s)');
  expect(() => accumulationSteps(4, { rank: 0, world: 2, microBatch: 4 })).toThrow(
    'choose a world size that divides 1',
  );
});

test('frames round-trip headers and float32 tensors', () => {
  const t = { dtype: 'float32' as const, shape: [1, 2, 3], data: Float32Array.from([1, -2.5, 3e-8, Infinity, 0, 7]) };
  const buf = Buffer.concat([
    encodeFrame({ type: 'ready', volumes: 3 }),
    encodeFrame(
      { type: 'batch', step: 2, micro: 1, samples: [1, 2], tensors: [{ name: 'x', dtype: 'float32', shape: t.shape }] },
      [t],
    ),
  ]);
  const frames = decodeFrames(buf);
  expect(frames.map((f) => f.header.type)).toEqual(['ready', 'batch']);
  expect(values(frames[1].tensors[0])).toEqual(Array.from(t.data));
  // 4-byte length + header + 6 floats.
  expect(buf.length).toBe(
    4 + JSON.stringify({ type: 'ready', volumes: 3 }).length + 4 + JSON.stringify(frames[1].header).length + 24,
  );
});
