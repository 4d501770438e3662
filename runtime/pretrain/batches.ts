import type { NamedArray } from '../../sdk/state';
import { sampleGvslBatch, type Volume } from '../data';
import { type Batch, type BatchMaker, sampleRng } from '../engine/batches';
import type { PretrainConfig } from './config';
import { loadVolumes } from './volumes';

/**
 * One GVSL step: img_aug (damaged A), img (A), img2 (B); `samples` [first, end) picks a slice of the step's
 * batch (default: all of it), exactly the samples the whole batch holds there (one stream per sample).
 */
export function makeBatch(
  volumes: readonly Volume[],
  cfg: PretrainConfig,
  step: number,
  samples: [number, number] = [0, cfg.batch],
): Batch {
  const b = sampleGvslBatch(volumes, (s) => sampleRng(cfg.seed, step, s), {
    crop: cfg.size,
    batch: samples[1] - samples[0],
    first: samples[0],
    appearance: cfg.augment.appearance ? { official: cfg.officialAugment } : false,
    spatial: cfg.augment.spatial ? { official: cfg.officialAugment } : false,
  });
  const arr = (data: Float32Array): NamedArray => ({ dtype: 'float32', shape: [...b.shape], data });
  return { img_aug: arr(b.Aaug), img: arr(b.A), img2: arr(b.B) };
}

/** Pre-training's BatchMaker: loads and prepares the volumes once (see BatchTask). */
export function batchMaker(cfg: PretrainConfig, warn: (m: string) => void): BatchMaker {
  const volumes = loadVolumes(cfg, warn);
  return (step) => makeBatch(volumes, cfg, step);
}
