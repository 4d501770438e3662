import type { Geometry } from '../../graphs/gvsl';
import { DEFAULT_SIMILARITY, similarityTerm, type SimilaritySpec } from '../../graphs/similarity';
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
  /** Weights of the loss terms; `ncc` weights the registration similarity term, whatever `similarity` is. */
  lossWeights: { ncc: number; mse: number; smooth: number };
  /**
   * The registration similarity loss (graphs/similarity); configs written before the option have none and
   * mean the official local NCC.
   */
  similarity?: SimilaritySpec;
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

export const OFFICIAL_DEFAULTS = {
  lr: 1e-4,
  batch: 1,
  size: [64, 64, 64] as [number, number, number],
  chan: [...OFFICIAL_WIDTHS],
};

/**
 * The embedded default run on the bundled samples: small enough for a laptop CPU (about a minute on 2 cores), long
 * enough to see the loss fall and the registration of the two samples improve. 24³ crops at 6 mm cover most of
 * a head (ch2 is 30×36×30 voxels there), so the random crops of the two subjects overlap in anatomy and the
 * registration term has something to learn; at 32³ and 3 mm the crops hold unrelated parts and NCC barely moved
 * (docs/results.md, "The default pre-training run").
 */
export const SAMPLE_DEFAULTS = {
  size: [24, 24, 24] as [number, number, number],
  chan: [8, 16, 16, 32, 32, 32, 16, 16, 16],
  steps: 150,
  lr: 1e-3,
  spacing: 6,
};

/** The similarity loss of a stored run config (none: the official local NCC). */
export function configSimilarity(cfg: { similarity?: SimilaritySpec }): SimilaritySpec {
  return cfg.similarity ?? DEFAULT_SIMILARITY;
}

/** The metric names of a pre-training run: loss, the similarity term (loss_ncc by default), loss_mse, loss_smooth. */
export function pretrainTerms(cfg: { similarity?: SimilaritySpec }): string[] {
  return ['loss', similarityTerm(configSimilarity(cfg)), 'loss_mse', 'loss_smooth'];
}
