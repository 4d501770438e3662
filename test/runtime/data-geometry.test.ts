import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { apply4 } from '../../runtime/data/affine';
import { readNifti } from '../../runtime/data/nifti';
import { axisCodes, reorient } from '../../runtime/data/orient';
import { makePhantom } from '../../runtime/data/phantom';
import { resample } from '../../runtime/data/resample';
import { samplePaths } from '../../runtime/data/samples';
import { makeVolume, type Volume } from '../../runtime/data/volume';
import { SHARED } from '../helpers/paths';

const DATA = path.join(SHARED, 'data');
const ch2Full = `${DATA}/brain-mr/ch2.nii.gz`;

/** World position of voxel (d, h, w). */
const world = (v: Volume, d: number, h: number, w: number) => apply4(v.affine, [w, h, d]);

function canonical(): Volume {
  const v = makePhantom({ dims: [5, 6, 7], seed: 3, spacing: [1.5, 2, 2.5] });
  v.affine[3] = -4;
  v.affine[7] = 7;
  v.affine[11] = 1.25;
  return v;
}

describe('reorient', () => {
  test('a flipped and permuted copy reorients to identical data and affine', () => {
    const v = canonical();
    const [D, H, W] = v.dims;
    // Copy stored as (w2, h2, d2) = (I, R, P): w2 = D−1−d, h2 = w, d2 = H−1−h.
    const data = new Float32Array(v.data.length);
    const [D2, H2, W2] = [H, W, D];
    for (let d2 = 0; d2 < D2; d2++)
      for (let h2 = 0; h2 < H2; h2++)
        for (let w2 = 0; w2 < W2; w2++) {
          const [d, h, w] = [D - 1 - w2, H - 1 - d2, h2];
          data[(d2 * H2 + h2) * W2 + w2] = v.data[(d * H + h) * W + w];
        }
    // Its affine: (w, h, d) = (h2, H−1−d2, D−1−w2) composed with the original.
    const a = v.affine;
    const col = (c: number) => [a[c], a[4 + c], a[8 + c]];
    const [cw, ch, cd] = [col(0), col(1), col(2)];
    const t = [0, 1, 2].map((r) => a[r * 4 + 3] + (H - 1) * ch[r] + (D - 1) * cd[r]);
    const affine = [0, 1, 2].flatMap((r) => [-cd[r] + 0, cw[r], -ch[r] + 0, t[r]]).concat([0, 0, 0, 1]);
    const copy: Volume = { data, dims: [D2, H2, W2], affine, spacing: [2, 2.5, 1.5] };
    expect(axisCodes(copy.affine)).toBe('IRP');
    expect(reorient(v, 'IRP')).toEqual({ ...copy, name: v.name });
    const back = reorient(copy);
    expect(back.dims).toEqual(v.dims);
    expect(back.data).toEqual(v.data);
    expect(back.affine).toEqual(v.affine);
    expect(back.spacing).toEqual(v.spacing);
  });

  test('real files: ch2 is RAS, itk-t1-head is LSA (coronal) and keeps world positions when reoriented', () => {
    const [ch2, itkFile] = samplePaths();
    expect(axisCodes(readNifti(existsSync(ch2Full) ? ch2Full : ch2).affine)).toBe('RAS');
    const itk = readNifti(itkFile);
    expect(axisCodes(itk.affine)).toBe('LSA');
    const ras = reorient(itk);
    expect(axisCodes(ras.affine)).toBe('RAS');
    expect(ras.dims).toEqual([128, 62, 128]);
    expect(ras.spacing).toEqual([2, 3, 2]);
    const inv = (p: number[]) => [(p[2] - 0) / 2, (p[1] + 254) / 3, (p[0] - ras.affine[3]) / 2];
    for (const [d, h, w] of [
      [0, 0, 0],
      [10, 20, 30],
      [61, 127, 127],
      [33, 5, 90],
    ]) {
      const p = world(itk, d, h, w);
      const [rd, rh, rw] = inv(p);
      expect(ras.data[(rd * 62 + rh) * 128 + rw]).toBe(itk.data[(d * 128 + h) * 128 + w]);
      expect(world(ras, rd, rh, rw)).toEqual(p);
    }
  });
});

describe('resample', () => {
  const ramp = (dims: [number, number, number], spacing: [number, number, number]) => {
    const data = new Float32Array(dims[0] * dims[1] * dims[2]);
    let o = 0;
    for (let d = 0; d < dims[0]; d++)
      for (let h = 0; h < dims[1]; h++) for (let w = 0; w < dims[2]; w++) data[o++] = 2 * d + 3 * h - w;
    return makeVolume(data, dims, spacing);
  };

  test('halving the spacing doubles the dims; a linear ramp stays linear; world positions agree', () => {
    const v = ramp([6, 7, 8], [2, 2, 2]);
    const r = resample(v, 1);
    expect(r.dims).toEqual([12, 14, 16]);
    expect(r.spacing).toEqual([1, 1, 1]);
    let checked = 0;
    for (let d = 0; d < 12; d++)
      for (let h = 0; h < 14; h++)
        for (let w = 0; w < 16; w++) {
          // New voxel j sits at old index j/2 − 1/4; inside [0, n − 1] the ramp is reproduced exactly.
          const [od, oh, ow] = [d / 2 - 0.25, h / 2 - 0.25, w / 2 - 0.25];
          expect(world(r, d, h, w)).toEqual(world(v, od, oh, ow));
          if (od < 0 || oh < 0 || ow < 0 || od > 5 || oh > 6 || ow > 7) continue;
          expect(r.data[(d * 14 + h) * 16 + w]).toBeCloseTo(2 * od + 3 * oh - ow, 4);
          checked++;
        }
    expect(checked).toBe(10 * 12 * 14);
  });

  test('1 mm → 2 mm on even sizes is the 2x2x2 box average', () => {
    const v = makePhantom({ dims: [6, 8, 10], seed: 5 });
    const r = resample(v, [2, 2, 2]);
    expect(r.dims).toEqual([3, 4, 5]);
    for (let d = 0; d < 3; d++)
      for (let h = 0; h < 4; h++)
        for (let w = 0; w < 5; w++) {
          let s = 0;
          for (let k = 0; k < 8; k++)
            s += v.data[((2 * d + (k >> 2)) * 8 + 2 * h + ((k >> 1) & 1)) * 10 + 2 * w + (k & 1)];
          expect(r.data[(d * 4 + h) * 5 + w]).toBeCloseTo(s / 8, 5);
        }
    expect(world(r, 0, 0, 0)).toEqual([0.5, 0.5, 0.5]);
  });

  test('anisotropic real data and nearest-neighbour labels', () => {
    const itk = readNifti(samplePaths()[1]);
    const r = resample(itk, 2);
    expect(r.dims).toEqual([93, 128, 128]);
    expect(r.spacing).toEqual([2, 2, 2]);
    const labels = makeVolume(
      Float32Array.from({ length: 4 * 5 * 6 }, (_, i) => i % 3),
      [4, 5, 6],
      [1, 1, 1],
    );
    const l = resample(labels, [0.7, 1.3, 0.45], { mode: 'nearest' });
    expect(new Set(l.data)).toEqual(new Set([0, 1, 2]));
  });
});
