/** The brain study's lobe task helpers (examples/study-brain/lobes.ts) on hand-made arrays. */
import { apply4 } from '../../runtime/data/affine';
import { reorient } from '../../runtime/data/orient';
import type { Dims3, Volume } from '../../runtime/data/volume';
import {
  aalToLobe,
  hemispheres,
  labelsOnGrid,
  LOBE_OF_AAL_CODE_DIGIT,
  LOBES,
  mergeLabels,
  mirrorX,
} from '../../examples/study-brain/lobes';

const vol = (data: number[], dims: Dims3, affine: number[]): Volume => ({
  data: Float32Array.from(data),
  dims,
  affine,
  spacing: [1, 1, 1],
});
const x = (v: Volume, w: number, h = 0, d = 0) => apply4(v.affine, [w, h, d])[0];

describe('AAL → lobes', () => {
  test('the table sends every AAL region to the lobe of its code (lines copied from aal.nii.txt)', () => {
    const lut = aalToLobe();
    expect(lut.length).toBe(117);
    expect(lut[0]).toBe(0);
    for (let i = 1; i <= 116; i++) expect(lut[i]).toBeGreaterThan(0);
    const lines: [number, string, number][] = [
      [1, 'Precentral_L', 2001],
      [17, 'Rolandic_Oper_L', 2331],
      [28, 'Rectus_R', 2702],
      [29, 'Insula_L', 3001],
      [35, 'Cingulum_Post_L', 4021],
      [42, 'Amygdala_R', 4202],
      [43, 'Calcarine_L', 5001],
      [56, 'Fusiform_R', 5402],
      [57, 'Postcentral_L', 6001],
      [70, 'Paracentral_Lobule_R', 6402],
      [71, 'Caudate_L', 7001],
      [78, 'Thalamus_R', 7102],
      [79, 'Heschl_L', 8101],
      [90, 'Temporal_Inf_R', 8302],
      [91, 'Cerebelum_Crus1_L', 9001],
      [116, 'Vermis_10', 9170],
    ];
    const names = Object.fromEntries(lines.map(([i, n]) => [n, LOBES[lut[i]]]));
    expect(names).toEqual({
      Precentral_L: 'frontal',
      Rolandic_Oper_L: 'frontal',
      Rectus_R: 'frontal',
      Insula_L: 'deep',
      Cingulum_Post_L: 'deep',
      Amygdala_R: 'deep',
      Calcarine_L: 'occipital',
      Fusiform_R: 'occipital',
      Postcentral_L: 'parietal',
      Paracentral_Lobule_R: 'parietal',
      Caudate_L: 'deep',
      Thalamus_R: 'deep',
      Heschl_L: 'temporal',
      Temporal_Inf_R: 'temporal',
      Cerebelum_Crus1_L: 'cerebellum',
      Vermis_10: 'cerebellum',
    });
    for (const [i, , code] of lines) expect(lut[i]).toBe(LOBE_OF_AAL_CODE_DIGIT[Math.floor(code / 1000)]);
  });

  test('mergeLabels maps voxels and names the file for a value outside the table', () => {
    expect(Array.from(mergeLabels([0, 1, 29, 60, 85, 50, 116], aalToLobe()))).toEqual([0, 1, 5, 2, 3, 4, 6]);
    expect(() => mergeLabels([0, 117], aalToLobe(), 'aal.nii.gz')).toThrow(
      'aal.nii.gz: voxel 1 holds 117, not a label 0..116',
    );
    expect(() => mergeLabels([1.5], aalToLobe(), 'aal.nii.gz')).toThrow('aal.nii.gz: voxel 0 holds 1.5');
  });
});

describe('labelsOnGrid (nearest neighbour through the affines)', () => {
  // Source: 4x4x4 at 1 mm, origin (-10, 0, 5); value = 100·k + 10·j + i.
  const src = vol(
    Array.from({ length: 64 }, (_, t) => 100 * Math.floor(t / 16) + 10 * (Math.floor(t / 4) % 4) + (t % 4)),
    [4, 4, 4],
    [1, 0, 0, -10, 0, 1, 0, 0, 0, 0, 1, 5, 0, 0, 0, 1],
  );

  test('a 2 mm grid on the same origin takes every other voxel, outside the source is 0', () => {
    const out = labelsOnGrid(src, { dims: [3, 2, 2], affine: [2, 0, 0, -10, 0, 2, 0, 0, 0, 0, 2, 5, 0, 0, 0, 1] });
    expect(Array.from(out.data)).toEqual([0, 2, 20, 22, 200, 202, 220, 222, 0, 0, 0, 0]);
    expect(out.spacing).toEqual([2, 2, 2]);
  });

  test('a flipped, shifted target grid picks the voxel at the same world point (rounded)', () => {
    // Target i runs toward -x from x = -7.4 (source i = 2.6 → 3), j, k as the source shifted by +1 voxel.
    const out = labelsOnGrid(src, { dims: [1, 1, 3], affine: [-1, 0, 0, -7.4, 0, 1, 0, 1, 0, 0, 1, 6, 0, 0, 0, 1] });
    expect(Array.from(out.data)).toEqual([113, 112, 111]);
  });
});

describe('hemispheres (cut at world x = 0)', () => {
  test('RAS: x < 0 is left, the plane on x = 0 is dropped, halves keep world positions', () => {
    // W = 5 along x = 2i − 4: x = −4, −2, 0, 2, 4; two rows (h).
    const v = vol([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 5], [2, 0, 0, -4, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1]);
    const { left, right } = hemispheres(v);
    expect(left.dims).toEqual([1, 2, 2]);
    expect(Array.from(left.data)).toEqual([1, 2, 6, 7]);
    expect(Array.from(right.data)).toEqual([4, 5, 9, 10]);
    expect([x(left, 0), x(left, 1), x(right, 0), x(right, 1)]).toEqual([-4, -2, 2, 4]);
    expect(right.affine.slice(4)).toEqual(v.affine.slice(4));
  });

  test('an L-first axis and x along the slowest axis are found from the affine', () => {
    // i runs toward the left: x = −2i + 3 → 3, 1, −1, −3 (no voxel on the plane).
    const las = hemispheres(vol([1, 2, 3, 4], [1, 1, 4], [-2, 0, 0, 3, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]));
    expect(Array.from(las.left.data)).toEqual([3, 4]);
    expect(Array.from(las.right.data)).toEqual([1, 2]);
    expect([x(las.left, 0), x(las.right, 0)]).toEqual([-1, 3]);
    // x along k (dims axis 0): x = k − 1.5, voxel (d, h, w) value 10·d + w.
    const perm = hemispheres(
      vol([0, 1, 10, 11, 20, 21, 30, 31], [4, 1, 2], [0, 0, 1, -1.5, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]),
    );
    expect(perm.left.dims).toEqual([2, 1, 2]);
    expect(Array.from(perm.left.data)).toEqual([0, 1, 10, 11]);
    expect(Array.from(perm.right.data)).toEqual([20, 21, 30, 31]);
    expect(apply4(perm.right.affine, [0, 0, 0])[0]).toBe(0.5);
  });

  test('oblique affines and volumes on one side are one line of error', () => {
    const oblique = vol([1, 2], [1, 1, 2], [1, 0.5, 0, -0.5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(() => hemispheres({ ...oblique, name: 'ob.nii' })).toThrow(
      'ob.nii: oblique affine (voxel axis 1 moves in x)',
    );
    expect(() => hemispheres(vol([1, 2], [1, 1, 2], [1, 0, 0, 5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]))).toThrow(
      'no voxels on one side of x = 0',
    );
  });

  test('mirrorX makes the right half a left half; reoriented to RAS its voxels are flipped along x', () => {
    const v = vol([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 5], [2, 0, 0, -4, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1]);
    const m = mirrorX(hemispheres(v).right);
    expect([x(m, 0), x(m, 1)]).toEqual([-2, -4]);
    expect(Array.from(m.data)).toEqual([4, 5, 9, 10]);
    const ras = reorient(m);
    expect(Array.from(ras.data)).toEqual([5, 4, 10, 9]);
    expect([x(ras, 0), x(ras, 1)]).toEqual([-4, -2]);
  });
});
