import { lstatSync, statSync } from 'node:fs';
import { readDicomSeries } from './dicom';
import { DataError } from './errors';
import { readNifti } from './nifti';
import { normalize, type NormalizeOptions, type NormalizePreset } from './normalize';
import { reorient, type AxisCodes } from './orient';
import { resample } from './resample';
import type { Volume } from './volume';

/**
 * Reads a .nii / .nii.gz file or a folder of DICOM slices as a 3-D volume for training or inference. A 2-D
 * image (one voxel thick along any axis) is refused: the networks convolve in 3-D and need depth.
 */
export function loadVolume(path: string): Volume {
  let dir: boolean;
  try {
    dir = statSync(path).isDirectory();
  } catch (e) {
    const dangling = (e as NodeJS.ErrnoException).code === 'ENOENT' && isSymlink(path);
    throw new DataError(`${path}: ${dangling ? 'a dangling symbolic link (its target does not exist)' : 'no such file or folder'}`);
  }
  const vol = dir ? readDicomSeries(path) : /\.nii(\.gz)?$/i.test(path) ? readNifti(path) : null;
  if (!vol) throw new DataError(`${path}: unknown volume format (expected .nii, .nii.gz or a DICOM folder)`);
  if (vol.dims.some((d) => d < 2)) {
    throw new DataError(`${path}: a 2-D image (${[...vol.dims].reverse().join('x')} voxels); only 3-D volumes are used (stack the slices into one volume, or give the DICOM folder of the whole series)`);
  }
  return vol;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
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
