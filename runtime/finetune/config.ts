import type { SegMode } from '../../graphs/seg';
import type { NormalizePreset } from '../data/normalize';
import type { SegModelInfo } from '../engine/seg-predictor';

/** An image and its label map (same voxel grid), as resolved paths. */
export interface LabelledPair {
  image: string;
  label: string;
}

/** Everything that defines a segmentation training run; stored in every checkpoint so `--resume` rebuilds it. */
export interface FinetuneConfig {
  train: LabelledPair[];
  /** Validation pairs (may be empty: then the last checkpoint is also the best). */
  val: LabelledPair[];
  classes: number;
  mode: SegMode;
  size: [number, number, number];
  batch: number;
  chan: number[];
  lr: number;
  steps: number;
  seed: number;
  /** Weight of cross-entropy added to the Dice loss (0: Dice only, as the official code). */
  ceWeight: number;
  normalize: NormalizePreset['preset'];
  /** Target spacing in mm, one number (isotropic) or [sd, sh, sw] (omitted: keep each volume's). */
  spacing?: number | [number, number, number];
  saveEvery: number;
  valEvery: number;
  /** Sliding-window overlap of the validation inference. */
  overlap: number;
  /** Starting backbone weights (a GVSL checkpoint, .safetensors or .pth), if any: without, from scratch. */
  weights?: string;
}

/** SegModelInfo of a fine-tuning run's configuration. */
export const infoOf = (cfg: FinetuneConfig): SegModelInfo => ({
  classes: cfg.classes,
  size: cfg.size,
  normalize: cfg.normalize,
  spacing: cfg.spacing,
});

export const FINETUNE_DEFAULTS = {
  size: [32, 32, 32] as [number, number, number],
  lr: 1e-4,
  steps: 1000,
  valFraction: 0.2,
  valEvery: 100,
  overlap: 0.25,
};
