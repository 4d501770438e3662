import type { NamedArray } from '../../sdk/state';
import { sampleGvslBatch, type Volume } from '../data';
import { type Batch, type BatchMaker, stepRng } from '../engine/batches';
import type { PretrainConfig } from './config';
import { loadVolumes } from './volumes';

/** One GVSL step: img_aug (damaged A), img (A), img2 (B). */
export function makeBatch(volumes: readonly Volume[], cfg: PretrainConfig, step: number): Batch {
  const b = sampleGvslBatch(volumes, stepRng(cfg.seed, step), {
    crop: cfg.size,
    batch: cfg.batch,
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
