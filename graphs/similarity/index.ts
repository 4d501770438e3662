import { ParameterError } from '../../sdk/errors';
import type { Tensor } from '../../sdk/tensor';
import { mutualInformationLoss } from './mi';
import { mindLoss } from './mind';
import { localNccLoss } from './ncc';
import { globalNccLoss } from './ncc-global';
import { mseSimilarityLoss } from './mse';
import { ssimLoss } from './ssim';

/** The registration similarity losses GVSL's Z-matching term can use (all minimised). */
export const SIMILARITIES = ['ncc', 'ncc-global', 'mi', 'ssim', 'mse', 'mind'] as const;
export type SimilarityKind = (typeof SIMILARITIES)[number];

/**
 * A similarity loss and its settings; fields a kind does not use are ignored (and left out of stored configs).
 * The default `{ kind: 'ncc' }` is the official loss (local NCC, window 9).
 */
export interface SimilaritySpec {
  kind: SimilarityKind;
  /** ncc: box window (default 9); ssim: Gaussian window (default 11). */
  window?: number;
  /** ssim: Gaussian sigma in voxels (default 1.5). */
  sigma?: number;
  /** mi: histogram bins (default 32). */
  bins?: number;
  /** mi: Parzen kernel width in bin spacings (default 1). */
  sigmaRatio?: number;
  /** mi: fraction of voxels sampled (default 1). */
  sampling?: number;
}

export const DEFAULT_SIMILARITY: SimilaritySpec = { kind: 'ncc' };

const isInt = (v: number) => Number.isInteger(v);

/**
 * Checks `s` and returns it with only the fields its kind uses (the stored form: equal specs compare equal).
 * Throws a ParameterError naming the field.
 */
export function normalizeSimilarity(s: SimilaritySpec): SimilaritySpec {
  if (!SIMILARITIES.includes(s.kind))
    throw new ParameterError('similarity', `must be one of ${SIMILARITIES.join(', ')}, got '${String(s.kind)}'`);
  const need = (field: keyof SimilaritySpec, ok: (v: number) => boolean, what: string) => {
    const v = s[field] as number | undefined;
    if (v !== undefined && !ok(v))
      throw new ParameterError(`similarity ${field}`, `must be ${what} (similarity ${s.kind}), got ${v}`);
    return v;
  };
  switch (s.kind) {
    case 'ncc': {
      const window = need('window', (v) => isInt(v) && v >= 1 && v % 2 === 1, 'an odd integer >= 1');
      return { kind: 'ncc', ...(window !== undefined ? { window } : {}) };
    }
    case 'ssim': {
      const window = need('window', (v) => isInt(v) && v >= 1 && v % 2 === 1, 'an odd integer >= 1');
      const sigma = need('sigma', (v) => Number.isFinite(v) && v > 0, 'a positive number');
      return { kind: 'ssim', ...(window !== undefined ? { window } : {}), ...(sigma !== undefined ? { sigma } : {}) };
    }
    case 'mi': {
      const bins = need('bins', (v) => isInt(v) && v >= 2 && v <= 256, 'an integer from 2 to 256');
      const sigmaRatio = need('sigmaRatio', (v) => Number.isFinite(v) && v > 0, 'a positive number');
      const sampling = need('sampling', (v) => v > 0 && v <= 1, 'a fraction in (0, 1]');
      return {
        kind: 'mi',
        ...(bins !== undefined ? { bins } : {}),
        ...(sigmaRatio !== undefined ? { sigmaRatio } : {}),
        ...(sampling !== undefined && sampling !== 1 ? { sampling } : {}),
      };
    }
    default:
      return { kind: s.kind };
  }
}

/** The similarity loss of `spec` between the warped moving image and the fixed image (lower is more similar). */
export function similarityLoss(spec: SimilaritySpec, warped: Tensor, fixed: Tensor): Tensor {
  switch (spec.kind) {
    case 'ncc':
      return localNccLoss(warped, fixed, spec.window ?? 9);
    case 'ncc-global':
      return globalNccLoss(warped, fixed);
    case 'mi':
      return mutualInformationLoss(warped, fixed, {
        bins: spec.bins,
        sigmaRatio: spec.sigmaRatio,
        sampling: spec.sampling,
      });
    case 'ssim':
      return ssimLoss(warped, fixed, { window: spec.window, sigma: spec.sigma });
    case 'mse':
      return mseSimilarityLoss(warped, fixed);
    case 'mind':
      return mindLoss(warped, fixed);
  }
}

/**
 * The metric (graph output) name of the similarity term: `loss_ncc` for local NCC at any window (so runs
 * before the option read the same), `loss_sim_<kind>` otherwise (`loss_sim_mse`, never the restoration's
 * `loss_mse`).
 */
export function similarityTerm(spec: SimilaritySpec = DEFAULT_SIMILARITY): string {
  return spec.kind === 'ncc' ? 'loss_ncc' : `loss_sim_${spec.kind.replace(/-/g, '_')}`;
}

/** One line for logs: `ncc (window 9)`, `mi (32 bins, kernel 1 bin, all voxels)`. */
export function describeSimilarity(s: SimilaritySpec): string {
  switch (s.kind) {
    case 'ncc':
      return `ncc (local, window ${s.window ?? 9})`;
    case 'ssim':
      return `ssim (Gaussian window ${s.window ?? 11}, sigma ${s.sigma ?? 1.5})`;
    case 'mi':
      return `mi (${s.bins ?? 32} bins, Parzen kernel ${s.sigmaRatio ?? 1} bin, ${s.sampling ? `${s.sampling * 100}% of` : 'all'} voxels)`;
    case 'mind':
      return 'mind (MIND-SSC, radius 2, dilation 2)';
    default:
      return s.kind;
  }
}

export { globalNccLoss, localNccLoss, mindLoss, mseSimilarityLoss, mutualInformationLoss, ssimLoss };
export { type MindOptions, mindPairs, mindSsc } from './mind';
export { type MutualInformationOptions, sampleVoxels } from './mi';
export { gaussianFilter3d, gaussianWindow, type SsimOptions } from './ssim';
