import { statSync } from 'node:fs';
import { readDicomSeries } from './dicom';
import { DataError } from './errors';
import { readNifti } from './nifti';
import { normalize, type NormalizeOptions, type NormalizePreset } from './normalize';
import { reorient, type AxisCodes } from './orient';
import { resample } from './resample';
import type { Volume } from './volume';

/** Reads a .nii / .nii.gz file or a folder of DICOM slices. */
export function loadVolume(path: string): Volume {
  let dir: boolean;
  try {
    dir = statSync(path).isDirectory();
  } catch {
    throw new DataError(`${path}: no such file or folder`);
  }
  if (dir) return readDicomSeries(path);
  if (/\.nii(\.gz)?$/i.test(path)) return readNifti(path);
  throw new DataError(`${path}: unknown volume format (expected .nii, .nii.gz or a DICOM folder)`);
}

export interface PrepareOptions extends NormalizeOptions {
  /** Target orientation (default 'RAS'); null keeps the file's. */
  orientation?: AxisCodes | null;
  /** Target spacing in mm; omitted keeps the file's. */
  spacing?: number | [number, number, number];
  normalize: NormalizePreset;
}

/** The usual preprocessing for pre-training: reorient (exact), resample (trilinear), normalise to [0, 1]. */
export function prepareVolume(vol: Volume, opts: PrepareOptions): Volume {
  let v = opts.orientation === null ? vol : reorient(vol, opts.orientation ?? 'RAS');
  if (opts.spacing !== undefined) v = resample(v, opts.spacing);
  return normalize(v, opts.normalize, opts);
}
