import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { degenerateWarning } from '../../runtime/data/geometry-check';
import { encodeNifti, parseNifti, readNifti, writeNifti } from '../../runtime/data/nifti';
import { loadVolume } from '../../runtime/data/prepare';
import { makeVolume, type Volume } from '../../runtime/data/volume';

// Issue 18, findings 4, 5 and 6: crafted NIfTI files made here.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'data-rel-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ramp(dims: [number, number, number]): Volume {
  const n = dims[0] * dims[1] * dims[2];
  return makeVolume(
    Float32Array.from({ length: n }, (_, i) => ((i * 37) % 101) - 50.5),
    dims,
    [2, 1.5, 1],
    'ramp',
  );
}

/** encodeNifti bytes with header fields overwritten (little-endian NIfTI-1 offsets). */
function patched(vol: Volume, edit: (v: DataView) => void, opts = {}): Uint8Array {
  const bytes = encodeNifti(vol, opts);
  edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return bytes;
}

describe('streamed NIfTI decoding', () => {
  test('any chunking gives the same volume, gzipped or not, for 1-, 2- and 4-byte voxels', () => {
    const vol = ramp([5, 6, 7]);
    for (const datatype of ['float32', 'int16', 'uint8'] as const) {
      const v = datatype === 'float32' ? vol : { ...vol, data: vol.data.map((x) => Math.round(x) + 60) };
      const raw = encodeNifti(v, { datatype });
      const whole = parseNifti(raw, 'x');
      expect(Array.from(whole.data)).toEqual(Array.from(datatype === 'float32' ? v.data : v.data));
      for (const chunk of [1, 3, 7, 349, 1000]) {
        expect(parseNifti(raw, 'x', {}, chunk).data).toEqual(whole.data);
        expect(parseNifti(zlib.gzipSync(raw), 'x', {}, chunk).data).toEqual(whole.data);
      }
    }
  });

  test('gzip bomb: data past the declared volume is never inflated', () => {
    // A valid 4x4x4 header and volume, then 160 MiB of zeros in the same gzip stream (~160 KiB compressed).
    const head = encodeNifti(ramp([4, 4, 4]));
    const gz = zlib.gzipSync(Buffer.concat([head, Buffer.alloc(160 << 20)]), { level: 1 });
    const file = path.join(tmp, 'bomb.nii.gz');
    fs.writeFileSync(file, gz);
    const before = process.memoryUsage().rss;
    const vol = readNifti(file);
    expect(vol.dims).toEqual([4, 4, 4]);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
  });

  test('a header that declares more voxels than the gzip file can hold is refused before allocating', () => {
    const bytes = patched(ramp([4, 4, 4]), (v) => [42, 44, 46].forEach((o) => v.setInt16(o, 30000, true)));
    expect(() => parseNifti(zlib.gzipSync(bytes), 'big.nii.gz')).toThrow(
      /big\.nii\.gz: the header declares 30000x30000x30000 float32 voxels \(\d+ bytes\), more than the \d+-byte gzip file can hold/,
    );
  });
});

describe('geometry validation on read', () => {
  const write = (name: string, bytes: Uint8Array) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, bytes);
    return f;
  };

  test('a singular sform (zero column) is refused, naming the file and the field', () => {
    const f = write(
      'singular.nii',
      patched(ramp([4, 4, 4]), (v) => [280, 296, 312].forEach((o) => v.setFloat32(o, 0, true))),
    );
    expect(() => readNifti(f)).toThrow(
      new RegExp(`${f}: the sform \\(srow_x/y/z\\) is singular \\(voxel axis i has zero length`),
    );
  });

  test('parallel axes and NaN entries are refused', () => {
    const parallel = patched(ramp([4, 4, 4]), (v) => {
      for (let r = 0; r < 3; r++) v.setFloat32(280 + 16 * r + 4, v.getFloat32(280 + 16 * r, true), true); // column j := column i
    });
    expect(() => parseNifti(parallel, 'par.nii')).toThrow(
      /par\.nii: the sform .* is singular \(its axes are \(nearly\) parallel/,
    );
    const nan = patched(ramp([4, 4, 4]), (v) => v.setFloat32(300, NaN, true));
    expect(() => parseNifti(nan, 'nan.nii')).toThrow(
      /nan\.nii: the sform .* has a non-finite entry \(NaN at row 1, column 1\)/,
    );
  });

  test('zero or negative pixdims are refused where they build the affine (no sform)', () => {
    for (const px of [0, -2]) {
      const bytes = patched(ramp([4, 4, 4]), (v) => {
        v.setInt16(254, 0, true); // sform_code 0: the qform and pixdims give the affine
        v.setFloat32(84, px, true); // pixdim[2]
      });
      expect(() => parseNifti(bytes, 'px.nii')).toThrow(`px.nii: pixdim[2] = ${px}: voxel sizes must be positive mm`);
    }
  });

  test('a negative vox_offset names the file', () => {
    const f = write(
      'negoff.nii',
      patched(ramp([4, 4, 4]), (v) => v.setFloat32(108, -16, true)),
    );
    expect(() => readNifti(f)).toThrow(
      `${f}: vox_offset = -16 in the NIfTI header; the voxel data must start after the 348-byte header`,
    );
  });

  test('2-D images are refused by the volume loader with one line (the reader itself reads them)', () => {
    const f = path.join(tmp, 'slice.nii.gz');
    writeNifti(f, ramp([1, 40, 40]));
    expect(readNifti(f).dims).toEqual([1, 40, 40]);
    expect(() => loadVolume(f)).toThrow(`${f}: a 2-D image (40x40x1 voxels); only 3-D volumes are used`);
  });

  test('a dangling symlink is named as such', () => {
    const link = path.join(tmp, 'gone.nii.gz');
    fs.symlinkSync(path.join(tmp, 'missing-target.nii.gz'), link);
    expect(() => loadVolume(link)).toThrow(`${link}: a dangling symbolic link (its target does not exist)`);
  });

  test('constant volumes get a warning', () => {
    expect(degenerateWarning(makeVolume(new Float32Array(27), [3, 3, 3], [1, 1, 1], 'zeros.nii'))).toMatch(
      /zeros\.nii: every voxel is 0 \(a constant volume carries no signal: NCC stays at 1/,
    );
    expect(degenerateWarning(ramp([3, 3, 3]))).toBeNull();
  });
});
