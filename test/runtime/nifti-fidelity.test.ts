/**
 * NIfTI fidelity of the outputs: label maps and warped images keep the input's sform/qform codes (4/4 MNI
 * stays 4/4) and its qform; `register` writes its displacement field on the fixed image's grid in ITK's
 * convention (LPS components, intent 1007), checked by warping the moving image with that file through an
 * independent reader and resampler written here (ITK's rules: index → RAS by the sform, RAS → LPS by negating
 * x and y, p + u(p), trilinear) and comparing with warped.nii.gz.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GVSL } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import { saveSafetensors } from '../../runtime/checkpoint/safetensors';
import { makePhantom, readNifti, writeNifti } from '../../runtime/data';
import { loadModel } from '../../runtime/serve/model';
import { writeRegistration } from '../../runtime/serve/write';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fidelity-'));
const f = (name: string) => path.join(dir, name);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The header fields this test needs, read by hand from the NIfTI-1 layout (nifti1.h offsets). */
function rawNifti(file: string) {
  let b = fs.readFileSync(file);
  if (b[0] === 0x1f) b = gunzipSync(b);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dim = Array.from({ length: 8 }, (_, k) => v.getInt16(40 + 2 * k, true));
  const srow = Array.from({ length: 12 }, (_, k) => v.getFloat32(280 + 4 * k, true));
  const quatern = Array.from({ length: 6 }, (_, k) => v.getFloat32(256 + 4 * k, true));
  const voxOffset = v.getFloat32(108, true);
  const n = dim.slice(1, 1 + dim[0]).reduce((a, c) => a * c, 1);
  expect(v.getInt16(70, true)).toBe(16); // float32 (the tests' images and fields)
  return {
    dim,
    srow,
    quatern,
    intent: v.getInt16(68, true),
    qformCode: v.getInt16(252, true),
    sformCode: v.getInt16(254, true),
    data: new Float32Array(b.buffer.slice(b.byteOffset + voxOffset, b.byteOffset + voxOffset + 4 * n)),
  };
}

/** 3x4 inverse of a 3x4 affine (rows). */
function invert(m: number[]): number[] {
  const [a, b, c, d, e, f2, g, h, i] = [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];
  const det = a * (e * i - f2 * h) - b * (d * i - f2 * g) + c * (d * h - e * g);
  const r = [
    (e * i - f2 * h) / det,
    (c * h - b * i) / det,
    (b * f2 - c * e) / det,
    (f2 * g - d * i) / det,
    (a * i - c * g) / det,
    (c * d - a * f2) / det,
    (d * h - e * g) / det,
    (b * g - a * h) / det,
    (a * e - b * d) / det,
  ];
  const t = [m[3], m[7], m[11]];
  return [0, 1, 2].flatMap((row) => [
    r[row * 3],
    r[row * 3 + 1],
    r[row * 3 + 2],
    -(r[row * 3] * t[0] + r[row * 3 + 1] * t[1] + r[row * 3 + 2] * t[2]),
  ]);
}

test('label maps and warped images keep the input sform/qform codes and qform', () => {
  const img = makePhantom({ dims: [10, 12, 14], seed: 3, spacing: [2, 2, 2] });
  writeNifti(f('mni.nii.gz'), img, { xformCode: 4 });
  const back = readNifti(f('mni.nii.gz'));
  // A label map on the image's grid (as segment writes it): codes 4/4 and the same quaternion, stored as uint8.
  const labels = { ...back, data: back.data.map((x) => (x > 0.5 ? 1 : 0)) };
  writeNifti(f('labels.nii.gz'), labels, { datatype: 'uint8' });
  const buf = gunzipSync(fs.readFileSync(f('labels.nii.gz')));
  const v = new DataView(buf.buffer, buf.byteOffset);
  expect([v.getInt16(252, true), v.getInt16(254, true)]).toEqual([4, 4]);
  const q = rawNifti(f('mni.nii.gz')).quatern;
  expect(Array.from({ length: 6 }, (_, k) => v.getFloat32(256 + 4 * k, true))).toEqual(q);
  // Scanner (1) codes survive too; a volume without a file keeps the default (2).
  writeNifti(f('scanner.nii'), img, { xformCode: 1 });
  writeNifti(f('scanner-out.nii'), readNifti(f('scanner.nii')));
  expect(rawNifti(f('scanner-out.nii')).sformCode).toBe(1);
  writeNifti(f('plain.nii'), img);
  expect(rawNifti(f('plain.nii')).sformCode).toBe(2);
});

test('register: the ITK displacement field on the fixed grid reproduces warped.nii.gz independently', async () => {
  const chan = parseWidths('8,8,8,8,16,8,8,8,16');
  const model = new GVSL(1, chan, { geometry: 'exact' });
  const sd = model.initStateDict(5);
  const set = (k: string, v: number[]) => (sd.get(k)!.data = Float32Array.from(v));
  set('fc_rot.bias', [0.3, -0.2, 0.25]);
  set('fc_trans.bias', [0.5, -0.4, 0.3]);
  set('out_flow.bias', [0.4, -0.3, 0.5]);
  saveSafetensors(f('w.safetensors'), sd, { geometry: 'exact' });
  // Fixed stored LPS-flipped with MNI codes, moving oblique at another spacing.
  const fixed = makePhantom({ dims: [20, 24, 18], seed: 1, spacing: [2, 2, 2] });
  fixed.affine = [-2, 0, 0, 17, 0, -2, 0, 23, 0, 0, 2, -19, 0, 0, 0, 1];
  const moving = makePhantom({ dims: [26, 30, 22], seed: 2, spacing: [1.5, 1.5, 1.5] });
  const [c, s] = [Math.cos(0.2), Math.sin(0.2)];
  moving.affine = [1.5 * c, -1.5 * s, 0, -10, 1.5 * s, 1.5 * c, 0, -20, 0, 0, 1.5, 5, 0, 0, 0, 1];
  writeNifti(f('fixed.nii.gz'), fixed, { xformCode: 4 });
  writeNifti(f('moving.nii.gz'), moving);
  const m = await loadModel(f('w.safetensors'), { size: [16, 16, 16] });
  let files;
  try {
    const r = await m.register(readNifti(f('fixed.nii.gz')), readNifti(f('moving.nii.gz')));
    files = writeRegistration(f('out'), r);
  } finally {
    await m.release();
  }
  expect(files.displacementItk).toBe(f('out/displacement-itk.nii.gz'));
  const field = rawNifti(files.displacementItk!);
  const warped = rawNifti(files.warped!);
  const mov = rawNifti(f('moving.nii.gz'));
  const fix = rawNifti(f('fixed.nii.gz'));
  // ITK's vector-image layout: dim = [5, X, Y, Z, 1, 3], intent NIFTI_INTENT_VECTOR, the fixed grid and its codes.
  expect(field.dim.slice(0, 6)).toEqual([5, 18, 24, 20, 1, 3]);
  expect(field.intent).toBe(1007);
  expect([field.qformCode, field.sformCode, warped.qformCode, warped.sformCode]).toEqual([4, 4, 4, 4]);
  expect(field.srow).toEqual(fix.srow);
  const [ni, nj, nk] = field.dim.slice(1, 4);
  const n = ni * nj * nk;
  const [mi, mj, mk] = mov.dim.slice(1, 4);
  const toMoving = invert(mov.srow);
  const at = (i: number, j: number, k: number) => mov.data[(k * mj + j) * mi + i];
  let compared = 0;
  let worst = 0;
  let maxU = 0;
  for (let k = 0; k < nk; k++)
    for (let j = 0; j < nj; j++)
      for (let i = 0; i < ni; i++) {
        const o = (k * nj + j) * ni + i;
        const S = fix.srow;
        // ITK: physical point in LPS = (−x, −y, z) of NIfTI's RAS point; the field's vector is added there.
        const p = [
          -(S[0] * i + S[1] * j + S[2] * k + S[3]),
          -(S[4] * i + S[5] * j + S[6] * k + S[7]),
          S[8] * i + S[9] * j + S[10] * k + S[11],
        ];
        const u = [field.data[o], field.data[n + o], field.data[2 * n + o]];
        maxU = Math.max(maxU, Math.hypot(...u));
        const q = [-(p[0] + u[0]), -(p[1] + u[1]), p[2] + u[2]]; // back to RAS
        const x = toMoving[0] * q[0] + toMoving[1] * q[1] + toMoving[2] * q[2] + toMoving[3];
        const y = toMoving[4] * q[0] + toMoving[5] * q[1] + toMoving[6] * q[2] + toMoving[7];
        const z = toMoving[8] * q[0] + toMoving[9] * q[1] + toMoving[10] * q[2] + toMoving[11];
        // Inside the moving image's voxel centres only: there every interpolator agrees (borders differ by convention).
        if (!(x >= 0 && y >= 0 && z >= 0 && x <= mi - 1 && y <= mj - 1 && z <= mk - 1)) continue;
        const [x0, y0, z0] = [
          Math.min(mi - 2, Math.floor(x)),
          Math.min(mj - 2, Math.floor(y)),
          Math.min(mk - 2, Math.floor(z)),
        ];
        const [fx, fy, fz] = [x - x0, y - y0, z - z0];
        let v = 0;
        for (const [dx, wx] of [
          [0, 1 - fx],
          [1, fx],
        ])
          for (const [dy, wy] of [
            [0, 1 - fy],
            [1, fy],
          ])
            for (const [dz, wz] of [
              [0, 1 - fz],
              [1, fz],
            ])
              v += wx * wy * wz * at(x0 + dx, y0 + dy, z0 + dz);
        worst = Math.max(worst, Math.abs(v - warped.data[o]));
        compared++;
      }
  // A real transform (mm-scale displacements), most of the fixed grid compared.
  expect(maxU).toBeGreaterThan(1);
  expect(compared).toBeGreaterThan(0.3 * n);
  // Tolerance: the field is stored as float32 (relative 6e-8 of ~100 mm coordinates ≈ 1e-5 mm) and the
  // phantom's intensities (0..1) change by at most ~1 per voxel: differences stay far below 1e-3.
  expect(worst).toBeLessThan(1e-3);
}, 60_000);
