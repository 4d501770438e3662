import type { Rng } from '../../../sdk/nn/rng';
import type { Dims3 } from '../volume';
import { bezierIntensity } from './bezier';
import { inPaint, outPaint } from './painting';
import { localPixelShuffle } from './pixel-shuffle';

/** Probabilities of GVSL's AppearanceTransform (Train_GVSL.py), which are Models Genesis' defaults. */
export interface AppearanceOptions {
  localRate?: number;
  nonlinearRate?: number;
  paintRate?: number;
  /** Share of in-painting among paintings; the rest is out-painting. */
  inpaintRate?: number;
  /** Blocks for local pixel shuffling (GVSL: 5000). */
  shuffleBlocks?: number;
  /**
   * Official GVSL quirks: its rand_aug ignores paint_rate/inpaint_rate and always in-paints, never inverts
   * the Bézier curve, and shuffles pixels with one shared permutation in ⌊S/20⌋ blocks.
   */
  official?: boolean;
}

/**
 * The appearance damage of image A for GVSL's restoration task (Models Genesis, Zhou et al. 2019): local
 * pixel shuffling (p 0.8), then a non-linear Bézier intensity curve (p 0.9), then painting (p 0.9: in-painting
 * 20 %, out-painting 80 %). Input and output are intensities in [0, 1]; the input is not modified.
 */
export function damageAppearance(src: Float32Array, dims: Dims3, rng: Rng, opts: AppearanceOptions = {}): Float32Array {
  const official = opts.official ?? false;
  let x = src;
  if (rng.next() < (opts.localRate ?? 0.8)) x = localPixelShuffle(x, dims, rng, { blocks: opts.shuffleBlocks, official });
  if (rng.next() < (opts.nonlinearRate ?? 0.9)) x = bezierIntensity(x, rng, { official });
  if (official) return inPaint(x, dims, rng);
  if (rng.next() < (opts.paintRate ?? 0.9)) x = rng.next() < (opts.inpaintRate ?? 0.2) ? inPaint(x, dims, rng) : outPaint(x, dims, rng);
  return x === src ? Float32Array.from(src) : x;
}
