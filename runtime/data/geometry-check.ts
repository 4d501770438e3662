import { DataError } from './errors';
import type { Volume } from './volume';

/**
 * Refuses a voxel-to-world affine that cannot describe a grid: non-finite entries, or a singular (or nearly
 * singular: axes within ~0.06° of each other) 3x3 part. `from` says which header field it came from.
 * No CLI flag repairs a header, so the message says what to fix in the file.
 */
export function checkAffine(affine: readonly number[], name: string, from: string): void {
  const m = affine;
  const bad = m.slice(0, 12).findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new DataError(`${name}: the ${from} has a non-finite entry (${m[bad]} at row ${bad >> 2}, column ${bad & 3}); fix the file's header (e.g. nibabel: img.set_sform / set_qform)`);
  const col = (c: number) => Math.hypot(m[c], m[4 + c], m[8 + c]);
  const det = m[0] * (m[5] * m[10] - m[6] * m[9]) - m[1] * (m[4] * m[10] - m[6] * m[8]) + m[2] * (m[4] * m[9] - m[5] * m[8]);
  const scale = col(0) * col(1) * col(2);
  if (!(scale > 0) || !(Math.abs(det) > 1e-6 * scale)) {
    const zero = [0, 1, 2].find((c) => !(col(c) > 0));
    const why = zero !== undefined ? `voxel axis ${'ijk'[zero]} has zero length` : 'its axes are (nearly) parallel';
    throw new DataError(`${name}: the ${from} is singular (${why}, determinant ${det}): the voxel grid has no world geometry; fix the file's header (e.g. nibabel: img.set_sform / set_qform)`);
  }
}

/** Checks the voxel sizes a header declares (used where they build the affine): finite and positive. */
export function checkVoxelSizes(pixdim: readonly number[], name: string, field = 'pixdim'): void {
  for (let k = 0; k < 3; k++) {
    const v = pixdim[k];
    if (!(Number.isFinite(v) && v > 0)) throw new DataError(`${name}: ${field}[${k + 1}] = ${v}: voxel sizes must be positive mm; fix the file's header (it is not guessed)`);
  }
}

/**
 * A volume that carries no signal (every voxel the same value, e.g. all zero): registration losses such as
 * NCC have no gradient on it and stay at 1. Returns a warning line, or null.
 */
export function degenerateWarning(vol: Volume): string | null {
  const d = vol.data;
  if (d.length === 0) return null;
  const v = d[0];
  for (let i = 1; i < d.length; i++) if (d[i] !== v) return null;
  return `${vol.name ?? '<volume>'}: every voxel is ${v} (a constant volume carries no signal: NCC stays at 1 on it); check the file or leave it out`;
}
