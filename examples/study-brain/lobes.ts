/**
 * The lobe task of the brain study: AAL regions merged into lobes, carried onto another grid by nearest neighbour,
 * and split into hemispheres at the mid-sagittal plane (world x = 0 in RAS+ millimetres).
 */
import { apply4, invertAffine, mul4 } from '../../runtime/data/affine';
import { axisMapping } from '../../runtime/data/orient';
import { spacingOf, voxelCount, type Dims3, type Volume } from '../../runtime/data/volume';

/** Class names of the lobe map, index = class (0 background: white matter, CSF and everything outside AAL). */
export const LOBES = ['background', 'frontal', 'parietal', 'temporal', 'occipital', 'deep', 'cerebellum'] as const;

/**
 * AAL index → lobe class. The merge follows the first digit of AAL's own region codes (aal.nii.txt, third
 * column): 2xxx frontal, 6xxx parietal, 8xxx temporal, 5xxx occipital, 3xxx insula + 4xxx limbic + 7xxx basal
 * ganglia/thalamus as "deep", 9xxx cerebellum and vermis. Both hemispheres' regions go to the same lobe.
 *
 * | class | AAL indices | regions |
 * |---|---|---|
 * | 1 frontal | 1–28 | precentral, frontal sup/mid/inf (orbital, opercular, triangular parts), rolandic operculum, SMA, olfactory, sup. medial, medial orbital, rectus |
 * | 2 parietal | 57–70 | postcentral, parietal sup/inf, supramarginal, angular, precuneus, paracentral lobule |
 * | 3 temporal | 79–90 | Heschl, temporal sup/mid/inf, temporal poles |
 * | 4 occipital | 43–56 | calcarine, cuneus, lingual, occipital sup/mid/inf, fusiform |
 * | 5 deep | 29–42, 71–78 | insula, cingulum ant/mid/post, hippocampus, parahippocampal, amygdala, caudate, putamen, pallidum, thalamus |
 * | 6 cerebellum | 91–116 | cerebellar hemispheres (crus 1, 2, lobules 3–10), vermis |
 */
export const AAL_LOBE_RANGES: ReadonlyArray<readonly [first: number, last: number, lobe: number]> = [
  [1, 28, 1],
  [29, 42, 5],
  [43, 56, 4],
  [57, 70, 2],
  [71, 78, 5],
  [79, 90, 3],
  [91, 116, 6],
];

/** Lobe of an AAL code's first digit (2 frontal … 9 cerebellum), to check the table against aal.nii.txt. */
export const LOBE_OF_AAL_CODE_DIGIT: Readonly<Record<number, number>> = {
  2: 1,
  3: 5,
  4: 5,
  5: 4,
  6: 2,
  7: 5,
  8: 3,
  9: 6,
};

/** Lookup table: aalToLobe()[aalIndex] = lobe class (index 0 → 0). */
export function aalToLobe(): Uint8Array {
  const lut = new Uint8Array(117);
  for (const [first, last, lobe] of AAL_LOBE_RANGES) for (let i = first; i <= last; i++) lut[i] = lobe;
  return lut;
}

/** Maps every voxel's label through `lut`; a value that is not an index of `lut` is one line of error. */
export function mergeLabels(data: ArrayLike<number>, lut: ArrayLike<number>, name = 'labels'): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isInteger(v) || v < 0 || v >= lut.length)
      throw new Error(`${name}: voxel ${i} holds ${v}, not a label 0..${lut.length - 1}`);
    out[i] = lut[v];
  }
  return out;
}

/**
 * A label map carried onto another voxel grid by nearest neighbour through both affines: target voxel (i, j, k)
 * → world → source voxel, rounded; target voxels whose world point falls outside the source grid get 0.
 */
export function labelsOnGrid(src: Volume, target: { dims: Dims3; affine: readonly number[] }): Volume {
  const m = mul4(invertAffine(src.affine), target.affine as number[]); // target index → source index
  const [D, H, W] = target.dims;
  const [sd, sh, sw] = src.dims;
  const data = new Float32Array(voxelCount(target.dims));
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) {
        const [i, j, k] = apply4(m, [w, h, d]).map((x) => Math.round(x + 1e-9));
        if (i >= 0 && i < sw && j >= 0 && j < sh && k >= 0 && k < sd)
          data[(d * H + h) * W + w] = src.data[(k * sh + j) * sw + i];
      }
  return {
    data,
    dims: [...target.dims],
    affine: [...target.affine],
    spacing: spacingOf(target.affine),
    name: src.name,
  };
}

/**
 * The two hemispheres of a volume, cut at the mid-sagittal plane x = 0 (RAS+ mm) using its affine: `left` holds
 * the voxels with x < 0, `right` those with x > 0; a voxel plane lying on x = 0 (within 1e-3 voxel) belongs to
 * neither. Each half keeps its voxels' world positions (the affine is shifted to its first voxel). The voxel axis
 * along x must be the only one moving in x (no oblique affines), else one line of error.
 */
export function hemispheres(vol: Volume): { left: Volume; right: Volume } {
  const mapping = axisMapping(vol.affine);
  const col = mapping.findIndex(([world]) => world === 0); // NIfTI column (0 = w, 1 = h, 2 = d) along x
  const A = vol.affine;
  for (let c = 0; c < 3; c++) {
    if (c !== col && Math.abs(A[c]) > 1e-6 * Math.hypot(A[c], A[4 + c], A[8 + c])) {
      throw new Error(
        `${vol.name ?? 'volume'}: oblique affine (voxel axis ${c} moves in x), cannot cut at the mid-sagittal plane`,
      );
    }
  }
  const axis = 2 - col; // dims axis
  const n = vol.dims[axis];
  const xs = Array.from({ length: n }, (_, t) => A[col] * t + A[3]);
  const tol = 1e-3 * Math.abs(A[col]);
  const pick = (keep: (x: number) => boolean) => {
    const idx = xs.map((x, t) => (keep(x) ? t : -1)).filter((t) => t >= 0);
    if (idx.length === 0)
      throw new Error(
        `${vol.name ?? 'volume'}: no voxels on one side of x = 0 (x spans ${Math.min(...xs)}..${Math.max(...xs)} mm)`,
      );
    return crop(vol, axis, idx[0], idx.length);
  };
  return { left: pick((x) => x < -tol), right: pick((x) => x > tol) };
}

/** Voxels start..start+count−1 along dims axis `axis`, with the affine moved to keep world positions. */
function crop(vol: Volume, axis: number, start: number, count: number): Volume {
  const dims: Dims3 = [...vol.dims];
  dims[axis] = count;
  const [, H, W] = vol.dims;
  const data = new Float32Array(voxelCount(dims));
  const lo = [0, 0, 0];
  lo[axis] = start;
  let o = 0;
  for (let d = 0; d < dims[0]; d++)
    for (let h = 0; h < dims[1]; h++) {
      const base = ((d + lo[0]) * H + h + lo[1]) * W + lo[2];
      data.set(vol.data.subarray(base, base + dims[2]), o);
      o += dims[2];
    }
  const origin = apply4(vol.affine, [lo[2], lo[1], lo[0]]); // world position of the first kept voxel (NIfTI order)
  const affine = [...vol.affine];
  for (let r = 0; r < 3; r++) affine[r * 4 + 3] = origin[r];
  return { data, dims, affine, spacing: spacingOf(affine), name: vol.name };
}

/**
 * The mirror image about the mid-sagittal plane: the same voxels with world x negated (affine row 0 negated), so a
 * right hemisphere becomes a left one in world space (and after reorientation to RAS). Data is unchanged.
 */
export function mirrorX(vol: Volume): Volume {
  const affine = [...vol.affine];
  for (let c = 0; c < 4; c++) affine[c] = -affine[c] + 0;
  return { ...vol, affine, spacing: spacingOf(affine) };
}
