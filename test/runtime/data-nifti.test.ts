import * as path from 'node:path';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeNifti, parseNifti, readNifti, writeNifti } from '../../runtime/data/nifti';
import { samplePaths } from '../../runtime/data/samples';
import { makeVolume, type Volume } from '../../runtime/data/volume';
import { SHARED } from '../helpers/paths';

/** The full-size source files (see data/samples/README.md); their tests are skipped where they are absent. */
const DATA = path.join(SHARED, 'data');
const shared = existsSync(`${DATA}/brain-mr/ch2.nii.gz`) ? test : test.skip;
const tmp = mkdtempSync(join(tmpdir(), 'data-nifti-'));

/** An oblique, left-handed affine: rotation 30° about z, spacing (1.5, 2, 2.5), i axis flipped. */
function obliqueAffine(): number[] {
  const [c, s] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)];
  return [-1.5 * c, -2 * s, 0, 10.25, -1.5 * s, 2 * c, 0, -20.5, 0, 0, 2.5, 30, 0, 0, 0, 1];
}

function ramp(dims: [number, number, number]): Volume {
  const data = Float32Array.from({ length: dims[0] * dims[1] * dims[2] }, (_, i) => (i % 251) - 17.25);
  return { ...makeVolume(data, dims), affine: obliqueAffine(), spacing: [2.5, 2, 1.5] };
}

/** A hand-written single-file header (NIfTI-1 or -2, either byte order) followed by `payload`. */
function craft(opts: {
  v2?: boolean;
  be?: boolean;
  dim: number[];
  datatype: number;
  bitpix: number;
  slope?: number;
  inter?: number;
  payload: Uint8Array;
}): Uint8Array {
  const v2 = opts.v2 ?? false;
  const le = !opts.be;
  const off = v2 ? 544 : 352;
  const out = new Uint8Array(off + opts.payload.length);
  const v = new DataView(out.buffer);
  const dim = [...opts.dim, 1, 1, 1, 1, 1, 1, 1, 1].slice(0, 8);
  if (!v2) {
    v.setInt32(0, 348, le);
    dim.forEach((d, k) => v.setInt16(40 + 2 * k, d, le));
    v.setInt16(70, opts.datatype, le);
    v.setInt16(72, opts.bitpix, le);
    [1, 1, 1, 1, 0, 0, 0, 0].forEach((p, k) => v.setFloat32(76 + 4 * k, p, le));
    v.setFloat32(108, off, le);
    v.setFloat32(112, opts.slope ?? 0, le);
    v.setFloat32(116, opts.inter ?? 0, le);
    out.set([0x6e, 0x2b, 0x31, 0], 344);
  } else {
    v.setInt32(0, 540, le);
    out.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4);
    v.setInt16(12, opts.datatype, le);
    v.setInt16(14, opts.bitpix, le);
    dim.forEach((d, k) => v.setBigInt64(16 + 8 * k, BigInt(d), le));
    [1, 1, 1, 1, 0, 0, 0, 0].forEach((p, k) => v.setFloat64(104 + 8 * k, p, le));
    v.setBigInt64(168, BigInt(off), le);
    v.setFloat64(176, opts.slope ?? 0, le);
    v.setFloat64(184, opts.inter ?? 0, le);
    v.setInt32(348, 1, le);
    [2, 0, 0, 5, 0, 3, 0, 6, 0, 0, 4, 7].forEach((x, k) => v.setFloat64(400 + 8 * k, x, le));
  }
  out.set(opts.payload, off);
  return out;
}

describe('NIfTI round trip', () => {
  test.each(['vol.nii', 'vol.nii.gz'])('%s keeps float32 data and the affine', (name) => {
    const vol = ramp([5, 6, 7]);
    const file = join(tmp, name);
    writeNifti(file, vol);
    const back = readNifti(file);
    expect(back.dims).toEqual([5, 6, 7]);
    expect(back.data).toEqual(vol.data);
    back.affine.forEach((a, k) => expect(a).toBeCloseTo(vol.affine[k], 5));
    back.spacing.forEach((s, k) => expect(s).toBeCloseTo(vol.spacing[k], 5));
    expect(back.name).toBe(file);
  });

  test('the qform describes the same grid as the sform', () => {
    const bytes = encodeNifti(ramp([3, 4, 5]));
    new DataView(bytes.buffer).setInt16(254, 0, true); // sform_code = 0: the reader falls back to the qform
    const back = parseNifti(bytes, 'qform-only');
    back.affine.forEach((a, k) => expect(a).toBeCloseTo(obliqueAffine()[k], 5));
  });

  test('label maps as uint8 and int16, range-checked', () => {
    const labels = makeVolume(Float32Array.from([0, 1, 2, 255, 4, 5]), [1, 2, 3]);
    for (const datatype of ['uint8', 'int16'] as const) {
      const file = join(tmp, `labels-${datatype}.nii.gz`);
      writeNifti(file, labels, { datatype });
      expect(readNifti(file).data).toEqual(labels.data);
    }
    const bad = makeVolume(Float32Array.from([0, 300]), [1, 1, 2], [1, 1, 1], 'labels');
    expect(() => encodeNifti(bad, { datatype: 'uint8' })).toThrow(/labels.*300.*uint8/);
  });
});

describe('NIfTI reading', () => {
  shared('ch2: 181x217x181 uint8 at 1 mm, sform (MNI)', () => {
    const v = readNifti(`${DATA}/brain-mr/ch2.nii.gz`);
    expect(v.dims).toEqual([181, 217, 181]);
    expect(v.spacing).toEqual([1, 1, 1]);
    expect(v.affine).toEqual([1, 0, 0, -90, 0, 1, 0, -125, 0, 0, 1, -71, 0, 0, 0, 1]);
    let max = 0;
    for (let i = 0; i < v.data.length; i++) if (v.data[i] > max) max = v.data[i];
    expect(max).toBe(254);
  });

  shared('itk-t1-head: i, j, k = 128, 128, 62 at 2, 2, 3 mm, coronal; its qform matches its sform', () => {
    const file = `${DATA}/brain-mr/itk-t1-head.nii.gz`;
    const v = readNifti(file);
    expect(v.dims).toEqual([62, 128, 128]);
    expect(v.spacing).toEqual([3, 2, 2]);
    expect(v.affine).toEqual([-2, 0, 0, 0, 0, 0, 3, -254, 0, 2, 0, 0, 0, 0, 0, 1]);
    const raw = gunzipSync(readFileSync(file));
    new DataView(raw.buffer, raw.byteOffset).setInt16(254, 0, true);
    const q = parseNifti(raw, 'qform');
    q.affine.forEach((a, k) => expect(a).toBeCloseTo(v.affine[k], 6));
  });

  test('the bundled samples: ch2 at 2 mm (RAS, MNI) and itk-t1-head as is (LSA, 2x2x3 mm)', () => {
    const [ch2, itk] = samplePaths().map((f) => readNifti(f));
    expect(ch2.dims).toEqual([91, 109, 91]);
    expect(ch2.affine).toEqual([2, 0, 0, -90, 0, 2, 0, -125, 0, 0, 2, -71, 0, 0, 0, 1]);
    expect(itk.dims).toEqual([62, 128, 128]);
    expect(itk.spacing).toEqual([3, 2, 2]);
    expect(itk.affine).toEqual([-2, 0, 0, 0, 0, 0, 3, -254, 0, 2, 0, 0, 0, 0, 0, 1]);
  });

  test('datatypes, byte orders and NIfTI-2', () => {
    const values = [0, 1, 2, 3, 4, 100];
    type Setter = (d: DataView, i: number, x: number, le: boolean) => void;
    const cases: Array<[number, number, Setter, (x: number) => number]> = [
      [2, 8, (d, i, x) => d.setUint8(i, x), (x) => x],
      [256, 8, (d, i, x) => d.setInt8(i, -x), (x) => -x],
      [4, 16, (d, i, x, le) => d.setInt16(2 * i, -x, le), (x) => -x],
      [512, 16, (d, i, x, le) => d.setUint16(2 * i, x * 300, le), (x) => x * 300],
      [8, 32, (d, i, x, le) => d.setInt32(4 * i, -x * 1e6, le), (x) => -x * 1e6],
      [768, 32, (d, i, x, le) => d.setUint32(4 * i, x * 3e7, le), (x) => x * 3e7],
      [16, 32, (d, i, x, le) => d.setFloat32(4 * i, x + 0.5, le), (x) => x + 0.5],
      [64, 64, (d, i, x, le) => d.setFloat64(8 * i, x - 0.25, le), (x) => x - 0.25],
      [1024, 64, (d, i, x, le) => d.setBigInt64(8 * i, BigInt(-x), le), (x) => -x],
    ];
    for (const [datatype, bitpix, set, expected] of cases)
      for (const be of [false, true])
        for (const v2 of [false, true]) {
          const payload = new Uint8Array((values.length * bitpix) / 8);
          values.forEach((x, i) => set(new DataView(payload.buffer), i, x, !be));
          const vol = parseNifti(craft({ v2, be, dim: [3, 3, 2, 1], datatype, bitpix, payload }), 'crafted');
          expect(vol.dims).toEqual([1, 2, 3]);
          expect(vol.data).toEqual(Float32Array.from(values.map((x) => expected(x) + 0)));
          if (v2) expect(vol.affine).toEqual([2, 0, 0, 5, 0, 3, 0, 6, 0, 0, 4, 7, 0, 0, 0, 1]);
        }
  });

  test('scl_slope/scl_inter are applied; slope 0 means none', () => {
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setInt16(0, 10, true);
    new DataView(payload.buffer).setInt16(2, -3, true);
    const bytes = (slope: number, inter: number) =>
      craft({ dim: [3, 2, 1, 1], datatype: 4, bitpix: 16, slope, inter, payload });
    expect(Array.from(parseNifti(bytes(2, -5), 's').data)).toEqual([15, -11]);
    expect(Array.from(parseNifti(bytes(0, -5), 's').data)).toEqual([10, -3]);
  });
});

describe('NIfTI errors', () => {
  test('a truncated .nii.gz names the file', () => {
    const file = join(tmp, 'cut.nii.gz');
    const whole = gzipSync(encodeNifti(ramp([8, 8, 8])));
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(() => readNifti(file)).toThrow(`${file}: cannot decompress: truncated or corrupt gzip data`);
  });

  test('a truncated .nii says how many bytes are missing', () => {
    const file = join(tmp, 'cut.nii');
    writeFileSync(file, encodeNifti(ramp([4, 4, 4])).subarray(0, 352 + 100));
    expect(() => readNifti(file)).toThrow(
      `${file}: truncated NIfTI file: 4x4x4 float32 voxels need 608 bytes, the file has 452`,
    );
  });

  test('missing files and non-NIfTI bytes', () => {
    expect(() => readNifti(join(tmp, 'nope.nii'))).toThrow(/nope\.nii: cannot read the file/);
    const file = join(tmp, 'junk.nii');
    writeFileSync(file, new Uint8Array(400).fill(7));
    expect(() => readNifti(file)).toThrow(`${file}: not a NIfTI file (sizeof_hdr is neither 348 nor 540)`);
  });

  test('4-D files are refused unless a volume is asked for', () => {
    const n = 2 * 3 * 4;
    const payload = new Uint8Array(2 * n * 4);
    const f = new Float32Array(payload.buffer);
    for (let i = 0; i < 2 * n; i++) f[i] = i;
    const file = join(tmp, 'four-d.nii');
    writeFileSync(file, craft({ dim: [4, 4, 3, 2, 2], datatype: 16, bitpix: 32, payload }));
    expect(() => readNifti(file)).toThrow(
      `${file}: 4-D image (dim[4] = 2); only 3-D volumes are read, pass { volume: 0 } to take the first volume`,
    );
    expect(readNifti(file, { volume: 0 }).data).toEqual(f.subarray(0, n));
    expect(readNifti(file, { volume: 1 }).data).toEqual(f.subarray(n));
    expect(() => readNifti(file, { volume: 2 })).toThrow(/volume index 2 out of range 0\.\.1/);
  });
});
