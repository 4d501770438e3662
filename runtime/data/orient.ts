import { mul4 } from './affine';
import { spacingOf, type Volume } from './volume';

/**
 * Orientation codes, nibabel style: one letter per voxel axis in NIfTI order (i, j, k) = (w, h, d), naming
 * the world direction that axis increases toward (R/L, A/P, S/I in RAS+ world). 'RAS' is the canonical
 * orientation used here: w toward Right, h toward Anterior, d toward Superior (nibabel's
 * as_closest_canonical); an array [D, H, W] is then [S, A, R].
 */
export type AxisCodes = string;

export const CANONICAL: AxisCodes = 'RAS';

const LETTERS: Record<string, [number, 1 | -1]> = { R: [0, 1], L: [0, -1], A: [1, 1], P: [1, -1], S: [2, 1], I: [2, -1] };

/** For each voxel axis (w, h, d): the world axis (0 x, 1 y, 2 z) it is closest to and the sign. */
export function axisMapping(affine: readonly number[]): Array<[number, 1 | -1]> {
  const used = new Set<number>();
  const taken = new Set<number>();
  const out: Array<[number, 1 | -1]> = [];
  // Greedy on the largest |direction cosine| first, so oblique affines get a consistent permutation.
  const entries: Array<[number, number, number]> = [];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    const norm = Math.hypot(affine[c], affine[4 + c], affine[8 + c]) || 1;
    entries.push([Math.abs(affine[r * 4 + c]) / norm, r, c]);
  }
  entries.sort((a, b) => b[0] - a[0]);
  for (const [, r, c] of entries) {
    if (used.has(r) || taken.has(c)) continue;
    used.add(r);
    taken.add(c);
    out[c] = [r, affine[r * 4 + c] < 0 ? -1 : 1];
  }
  return out;
}

/** The orientation code of an affine, e.g. 'RAS', 'LPS', 'LSA' (itk-t1-head: coronal slices). */
export function axisCodes(affine: readonly number[]): AxisCodes {
  return axisMapping(affine).map(([r, s]) => (s > 0 ? 'RAS' : 'LPI')[r]).join('');
}

/**
 * Reorients a volume to `target` axis codes (default RAS) by permuting and flipping voxel axes only: exact,
 * no interpolation. The affine is updated so every voxel keeps its world position.
 */
export function reorient(vol: Volume, target: AxisCodes = CANONICAL): Volume {
  const want = [...target.toUpperCase()].map((ch) => LETTERS[ch]);
  if (want.length !== 3 || want.some((x) => !x) || new Set(want.map((x) => x[0])).size !== 3) {
    throw new Error(`reorient: '${target}' is not an orientation code such as RAS or LPS`);
  }
  const have = axisMapping(vol.affine);
  const n = [vol.dims[2], vol.dims[1], vol.dims[0]]; // NIfTI order
  const stride = [1, n[0], n[0] * n[1]];
  // New axis a takes old axis src[a] (possibly flipped).
  const src = want.map(([world]) => have.findIndex(([r]) => r === world));
  const flip = want.map(([, sign], a) => have[src[a]][1] !== sign);
  const p = new Array<number>(16).fill(0);
  p[15] = 1;
  for (let a = 0; a < 3; a++) {
    p[src[a] * 4 + a] = flip[a] ? -1 : 1;
    p[src[a] * 4 + 3] = flip[a] ? n[src[a]] - 1 : 0;
  }
  const nn = src.map((s) => n[s]);
  const step = src.map((s, a) => (flip[a] ? -stride[s] : stride[s]));
  const base = src.reduce((acc, s, a) => acc + (flip[a] ? (n[s] - 1) * stride[s] : 0), 0);
  const data = new Float32Array(vol.data.length);
  let o = 0;
  for (let k = 0; k < nn[2]; k++) for (let j = 0; j < nn[1]; j++) {
    let i0 = base + k * step[2] + j * step[1];
    for (let i = 0; i < nn[0]; i++, i0 += step[0]) data[o++] = vol.data[i0];
  }
  const affine = mul4(vol.affine, p);
  return { data, dims: [nn[2], nn[1], nn[0]], affine, spacing: spacingOf(affine), name: vol.name };
}
