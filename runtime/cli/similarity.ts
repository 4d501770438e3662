import type { Argv } from 'yargs';
import { normalizeSimilarity, SIMILARITIES, type SimilarityKind, type SimilaritySpec } from '../../graphs/similarity';
import { ParameterError } from '../../sdk/errors';
import { UserError } from '../engine/errors';
import { numberOption } from './parse';

/**
 * The --similarity options of `pretrain` (graphs/similarity). Their values are numbers at parse time (parse.ts);
 * the ranges, which depend on the kind, are checked by similarityOf before any data is read.
 */
export function similarityOptions<T>(y: Argv<T>) {
  return y
    .option('similarity', {
      choices: SIMILARITIES,
      describe:
        'registration similarity loss: ncc (local, the official default), ncc-global, mi (Parzen mutual information), ssim (3-D Gaussian), mse, mind (MIND-SSC descriptors)',
    })
    .option(
      'similarity-window',
      numberOption(
        'similarity-window',
        {},
        { describe: 'ncc: box window in voxels (default 9); ssim: Gaussian window (default 11); odd' },
      ),
    )
    .option(
      'similarity-sigma',
      numberOption('similarity-sigma', {}, { describe: 'ssim: Gaussian sigma in voxels (default 1.5)' }),
    )
    .option('similarity-bins', numberOption('similarity-bins', {}, { describe: 'mi: histogram bins (default 32)' }))
    .option(
      'similarity-kernel',
      numberOption('similarity-kernel', {}, { describe: 'mi: Parzen kernel width in bin spacings (default 1)' }),
    )
    .option(
      'similarity-sampling',
      numberOption('similarity-sampling', {}, { describe: 'mi: fraction of voxels in the histograms (default 1)' }),
    );
}

export interface SimilarityArgs {
  similarity?: SimilarityKind;
  similarityWindow?: number;
  similaritySigma?: number;
  similarityBins?: number;
  similarityKernel?: number;
  similaritySampling?: number;
}

const FLAGS: { flag: string; arg: keyof SimilarityArgs; field: keyof SimilaritySpec; kinds: SimilarityKind[] }[] = [
  { flag: 'similarity-window', arg: 'similarityWindow', field: 'window', kinds: ['ncc', 'ssim'] },
  { flag: 'similarity-sigma', arg: 'similaritySigma', field: 'sigma', kinds: ['ssim'] },
  { flag: 'similarity-bins', arg: 'similarityBins', field: 'bins', kinds: ['mi'] },
  { flag: 'similarity-kernel', arg: 'similarityKernel', field: 'sigmaRatio', kinds: ['mi'] },
  { flag: 'similarity-sampling', arg: 'similaritySampling', field: 'sampling', kinds: ['mi'] },
];

/** The flag names of the similarity options (for the resume rules). */
export const SIMILARITY_FLAGS = ['similarity', ...FLAGS.map((f) => f.flag)];

/** The SimilaritySpec the flags ask for (stored form), or a one-line UserError naming the flag. */
export function similarityOf(a: SimilarityArgs): SimilaritySpec {
  const kind = a.similarity ?? 'ncc';
  const spec: SimilaritySpec = { kind };
  for (const f of FLAGS) {
    const v = a[f.arg] as number | undefined;
    if (v === undefined) continue;
    if (!f.kinds.includes(kind))
      throw new UserError(
        `--${f.flag} applies to --similarity ${f.kinds.join(' or ')}, not ${kind}; leave it out or choose one of those`,
      );
    (spec as unknown as Record<string, number>)[f.field] = v;
  }
  try {
    return normalizeSimilarity(spec);
  } catch (e) {
    if (!(e instanceof ParameterError)) throw e;
    const f = FLAGS.find((x) => e.parameter === `similarity ${x.field}`);
    throw new UserError(f ? `--${f.flag} ${e.requirement}` : `--${e.message}`);
  }
}
