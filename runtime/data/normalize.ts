import { DataError } from './errors';
import type { Volume } from './volume';

/**
 * Intensity presets, all mapping to [0, 1]:
 * - `ct-official`: clip to [0, 2048] and divide by 2048: the official GVSL loader's rule, applied to the
 *   values as read (after rescale slope/intercept, like SimpleITK's GetArrayFromImage there).
 * - `ct-hu`: a Hounsfield window [lo, hi] (default [-1000, 1000]) mapped linearly onto [0, 1].
 * - `mr-percentile`: clip to the [lo, hi] percentiles (default 0.5 and 99.5, numpy's linear definition,
 *   over all voxels or, with `nonzero`, the non-zero ones) and map onto [0, 1].
 */
export type NormalizePreset =
  | { preset: 'ct-official' }
  | { preset: 'ct-hu'; window?: [number, number] }
  | { preset: 'mr-percentile'; percentiles?: [number, number]; nonzero?: boolean };

export interface NormalizeOptions {
  /** What to do with NaN or infinite voxels: 'error' (default, names the file and the count) or 'zero'. */
  nonFinite?: 'error' | 'zero';
}

/** Presets by name, for the CLI. */
export const PRESETS = ['ct-official', 'ct-hu', 'mr-percentile'] as const;

/** A preset with its default parameters from its name (a CLI flag); unknown names are a DataError. */
export function presetFromName(name: string): NormalizePreset {
  if (!(PRESETS as readonly string[]).includes(name)) throw new DataError(`unknown normalisation '${name}' (choose ${PRESETS.join(', ')})`);
  return { preset: name } as NormalizePreset;
}

/** A new volume with intensities in [0, 1] by `preset`. */
export function normalize(vol: Volume, preset: NormalizePreset, opts: NormalizeOptions = {}): Volume {
  const src = checkFinite(vol, opts.nonFinite ?? 'error');
  let lo: number;
  let hi: number;
  switch (preset.preset) {
    case 'ct-official':
      [lo, hi] = [0, 2048];
      break;
    case 'ct-hu':
      [lo, hi] = preset.window ?? [-1000, 1000];
      break;
    case 'mr-percentile': {
      const [plo, phi] = preset.percentiles ?? [0.5, 99.5];
      [lo, hi] = percentiles(src, [plo, phi], preset.nonzero ?? false);
      break;
    }
    default:
      throw new Error(`normalize: unknown preset ${JSON.stringify(preset)}`);
  }
  if (!(hi >= lo)) throw new Error(`normalize: window [${lo}, ${hi}] is empty`);
  const data = new Float32Array(src.length);
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i] < lo ? lo : src[i] > hi ? hi : src[i];
    data[i] = (v - lo) * scale;
  }
  return { ...vol, data };
}

/** The data with non-finite voxels handled per `mode` (the input itself when all are finite). */
export function checkFinite(vol: Volume, mode: 'error' | 'zero'): Float32Array {
  let bad = 0;
  for (let i = 0; i < vol.data.length; i++) if (!Number.isFinite(vol.data[i])) bad++;
  if (bad === 0) return vol.data;
  if (mode === 'error') {
    throw new DataError(`${vol.name ?? '<volume>'}: ${bad} NaN or infinite voxel(s) of ${vol.data.length}: replace them in the file (e.g. with numpy.nan_to_num) and save it again`);
  }
  const data = Float32Array.from(vol.data);
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) data[i] = 0;
  return data;
}

/** Percentiles (0–100) with numpy's default linear interpolation between order statistics. */
export function percentiles(data: Float32Array, ps: number[], nonzero = false): number[] {
  const values = nonzero ? data.filter((v) => v !== 0) : Float32Array.from(data);
  if (values.length === 0) return ps.map(() => 0);
  values.sort();
  return ps.map((p) => {
    const x = (Math.min(100, Math.max(0, p)) / 100) * (values.length - 1);
    const i = Math.floor(x);
    const j = Math.min(values.length - 1, i + 1);
    return values[i] + (x - i) * (values[j] - values[i]);
  });
}
