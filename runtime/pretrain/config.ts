import type { Geometry } from '../../graphs/gvsl';
import type { NormalizePreset } from '../data/normalize';
import { OFFICIAL_WIDTHS } from '../../graphs/unet';

/** Everything that defines a pre-training run; stored in every checkpoint so `--resume` rebuilds it. */
export interface PretrainConfig {
  /** Volume files or DICOM folders (resolved). */
  volumes: string[];
  /** True when training on the bundled sample volumes. */
  samples: boolean;
  size: [number, number, number];
  batch: number;
  chan: number[];
  /**
   * Spatial conventions of the model (graphs/gvsl.ts Geometry): `exact` (default) or `official`. A resumed run
   * keeps its geometry; a config without the field is `exact`.
   */
  geometry: Geometry;
  lr: number;
  steps: number;
  seed: number;
  lossWeights: { ncc: number; mse: number; smooth: number };
  normalize: NormalizePreset['preset'];
  /** Target spacing in mm, one number (isotropic) or [sd, sh, sw] (omitted: keep each volume's). */
  spacing?: number | [number, number, number];
  saveEvery: number;
  /** Appearance damage and spatial augmentation (both on, as the official training). */
  augment: { appearance: boolean; spatial: boolean };
  /**
   * Reproduce the official code's augmentation quirks (appearance and spatial); the CLI defaults it to
   * `geometry === 'official'`.
   */
  officialAugment: boolean;
  /** Starting weights (.safetensors / .pth), if any. */
  weights?: string;
}

export const OFFICIAL_DEFAULTS = { lr: 1e-4, batch: 1, size: [64, 64, 64] as [number, number, number], chan: [...OFFICIAL_WIDTHS] };

/** The embedded default run on the bundled samples: small enough for a laptop CPU, long enough to see the loss fall. */
export const SAMPLE_DEFAULTS = {
  size: [32, 32, 32] as [number, number, number],
  chan: [8, 16, 16, 32, 32, 32, 16, 16, 16],
  steps: 150,
  lr: 1e-3,
  spacing: 3,
};
