import { columnNorm } from './affine';

/** Sizes `[D, H, W]`, from the slowest to the fastest axis in memory. */
export type Dims3 = [number, number, number];

/**
 * A 3-D scalar image in memory. The conventions, used by every file in runtime/data:
 *
 * - Layout: `dims = [D, H, W]`, slowest to fastest; voxel (d, h, w) is `data[(d*H + h)*W + w]`. This is the
 *   NIfTI byte order read as is: NIfTI's (i, j, k), with i fastest, are w = i, h = j, d = k (so a NIfTI
 *   file of dim[1..3] = 181, 217, 181 gives dims [181, 217, 181] = [nk, nj, ni]). It is also the array that
 *   SimpleITK's GetArrayFromImage (used by the official GVSL loader) returns.
 * - `affine`: 4x4 row-major, mapping the NIfTI-ordered voxel index (i, j, k, 1) = (w, h, d, 1) to world
 *   millimetres (x, y, z, 1) in RAS+ (x to the patient's Right, y Anterior, z Superior: NIfTI's world).
 *   Columns 0, 1, 2 belong to w, h, d. DICOM's LPS positions are converted to RAS+ on reading.
 * - `spacing`: [sd, sh, sw] in mm, the norms of affine columns 2, 1, 0 (same order as dims).
 * - `name`: where the volume came from (a file or folder path), quoted in error messages.
 */
export interface Volume {
  data: Float32Array;
  dims: Dims3;
  affine: number[];
  spacing: [number, number, number];
  name?: string;
  /** The NIfTI file's spatial header (codes, qform, sform, intent), when read from one: written back as is for outputs on the same grid. */
  nifti?: NiftiSpace;
}

/**
 * A NIfTI header's spatial fields, so outputs on the input's grid keep its sform/qform codes (e.g. 4 = MNI), its
 * qform when it differs from the sform, and its intent.
 */
export interface NiftiSpace {
  qformCode: number;
  sformCode: number;
  /** quatern_b, _c, _d, qoffset_x, _y, _z. */
  quatern: number[];
  /** pixdim[0] (qfac) and pixdim[1..3]. */
  qfac: number;
  pixdim: [number, number, number];
  /** srow_x, srow_y, srow_z. */
  srow: number[];
  intentCode: number;
  intentName: string;
}

/** Number of voxels. */
export function voxelCount(dims: readonly number[]): number {
  return dims[0] * dims[1] * dims[2];
}

/** [sd, sh, sw] from an affine's column norms. */
export function spacingOf(affine: readonly number[]): [number, number, number] {
  return [columnNorm(affine, 2), columnNorm(affine, 1), columnNorm(affine, 0)];
}

/** A volume on a diagonal affine (spacing [sd, sh, sw], origin at voxel 0), for phantoms and tests. */
export function makeVolume(data: Float32Array, dims: Dims3, spacing: [number, number, number] = [1, 1, 1], name?: string): Volume {
  if (data.length !== voxelCount(dims)) {
    throw new Error(`makeVolume: data has ${data.length} values, dims ${dims.join('x')} need ${voxelCount(dims)}`);
  }
  const [sd, sh, sw] = spacing;
  const affine = [sw, 0, 0, 0, 0, sh, 0, 0, 0, 0, sd, 0, 0, 0, 0, 1];
  return { data, dims: [...dims], affine, spacing: [...spacing], name };
}

/** "name: " for messages, or "" when the volume has no name. */
export function label(vol: Pick<Volume, 'name'>): string {
  return vol.name ? `${vol.name}: ` : '';
}
