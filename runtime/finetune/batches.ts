import type { NamedArray } from '../../sdk/state';
import { cropAt, randomCrop, voxelCount } from '../data';
import { type Batch, type BatchMaker, stepRng } from '../engine/batches';
import type { FinetuneConfig } from './config';
import { loadPair, type LabelledVolume } from './data';

/**
 * One segmentation step: `batch` random crops of `size` (uniform over the positions, as the official
 * downstream loader; zero-padded where a volume is smaller) from randomly chosen training pairs, the same
 * crop of the image (`image`) and of its label map (`label`, class indices as float32). The random stream
 * depends only on (seed, step).
 */
export function makeSegBatch(
  vols: readonly LabelledVolume[],
  cfg: Pick<FinetuneConfig, 'seed' | 'size' | 'batch'>,
  step: number,
): Batch {
  const rng = stepRng(cfg.seed, step);
  const n = voxelCount(cfg.size);
  const image = new Float32Array(cfg.batch * n);
  const label = new Float32Array(cfg.batch * n);
  for (let b = 0; b < cfg.batch; b++) {
    const v = vols[rng.int(0, vols.length)];
    const crop = randomCrop(v.image, cfg.size, rng);
    image.set(crop.data, b * n);
    label.set(cropAt(v.label, crop.origin, cfg.size).data, b * n);
  }
  const arr = (data: Float32Array): NamedArray => ({ dtype: 'float32', shape: [cfg.batch, 1, ...cfg.size], data });
  return { image: arr(image), label: arr(label) };
}

/** Loads and prepares the training pairs once; the data worker's entry (see runtime/engine/batches.ts BatchTask). */
export function batchMaker(cfg: FinetuneConfig, warn: (m: string) => void): BatchMaker {
  const vols = cfg.train.map((p) => loadPair(p, cfg));
  if (!vols.some((v) => v.image.dims.every((d, i) => d >= cfg.size[i]))) {
    const dims = vols.map((v) => `${v.image.name} ${v.image.dims.join('x')}`).join(', ');
    warn(
      `the crop ${cfg.size.join('x')} is larger than every training volume after resampling (${dims}): crops are zero-padded`,
    );
  }
  return (step) => makeSegBatch(vols, cfg, step);
}
