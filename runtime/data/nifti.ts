import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DataError } from './errors';
import { niftiAffine, parseNiftiHeader } from './nifti-header';
import { affineToQform } from './quatern';
import { type NiftiSpace, spacingOf, voxelCount, type Dims3, type Volume } from './volume';

export interface ReadNiftiOptions {
  /** For 4-D files: which volume (index along dim[4]) to read. Without it a 4-D file is refused. */
  volume?: number;
}

/** Voxel readers by NIfTI datatype code: [name, bytes, read]. */
const DATATYPES: Record<number, [string, number, (v: DataView, o: number, le: boolean) => number]> = {
  2: ['uint8', 1, (v, o) => v.getUint8(o)],
  4: ['int16', 2, (v, o, le) => v.getInt16(o, le)],
  8: ['int32', 4, (v, o, le) => v.getInt32(o, le)],
  16: ['float32', 4, (v, o, le) => v.getFloat32(o, le)],
  64: ['float64', 8, (v, o, le) => v.getFloat64(o, le)],
  256: ['int8', 1, (v, o) => v.getInt8(o)],
  512: ['uint16', 2, (v, o, le) => v.getUint16(o, le)],
  768: ['uint32', 4, (v, o, le) => v.getUint32(o, le)],
  1024: ['int64', 8, (v, o, le) => Number(v.getBigInt64(o, le))],
  1280: ['uint64', 8, (v, o, le) => Number(v.getBigUint64(o, le))],
};

/** Reads a .nii or .nii.gz file (NIfTI-1 or -2) into a Volume; see volume.ts for the conventions. */
export function readNifti(file: string, opts: ReadNiftiOptions = {}): Volume {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DataError(`${file}: cannot read the file (${(e as Error).message})`);
  }
  return parseNifti(bytes, file, opts);
}

/** Decodes NIfTI bytes (gzipped or not); `name` is quoted in errors and kept as the volume's name. */
export function parseNifti(bytes: Uint8Array, name: string, opts: ReadNiftiOptions = {}): Volume {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(`${name}: cannot decompress: truncated or corrupt gzip data (${(e as Error).message})`);
    }
  }
  const hdr = parseNiftiHeader(bytes, name);
  const nd = hdr.dim[0];
  if (nd < 1 || nd > 7) throw new DataError(`${name}: invalid dim[0] = ${nd} in the NIfTI header`);
  const size = (k: number) => (k <= nd && hdr.dim[k] > 0 ? hdr.dim[k] : 1);
  const [ni, nj, nk] = [size(1), size(2), size(3)];
  const extra = [4, 5, 6, 7].map(size);
  const nvol = extra.reduce((a, b) => a * b, 1);
  let index = 0;
  if (nvol > 1) {
    if (opts.volume === undefined) {
      const more = nd > 4 ? `, dim[5..${nd}] = ${extra.slice(1, nd - 3).join(', ')}` : '';
      throw new DataError(`${name}: ${nd}-D image (dim[4] = ${extra[0]}${more}); only 3-D volumes are read, pass { volume: 0 } to take the first volume`);
    }
    index = opts.volume;
    if (!Number.isInteger(index) || index < 0 || index >= nvol) throw new DataError(`${name}: volume index ${index} out of range 0..${nvol - 1}`);
  }
  const type = DATATYPES[hdr.datatype];
  if (!type) throw new DataError(`${name}: unsupported NIfTI datatype code ${hdr.datatype}; scalar integer and float types only`);
  const [, bpv, read] = type;
  const n = ni * nj * nk;
  const start = hdr.voxOffset + index * n * bpv;
  if (start + n * bpv > bytes.length) {
    throw new DataError(`${name}: truncated NIfTI file: ${ni}x${nj}x${nk} ${type[0]} voxels need ${start + n * bpv} bytes, the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = hdr.littleEndian;
  const data = new Float32Array(n);
  // scl_slope = 0 (or NaN) means "no scaling", scl_inter included.
  const slope = hdr.sclSlope;
  const scaled = Number.isFinite(slope) && slope !== 0;
  const inter = scaled && Number.isFinite(hdr.sclInter) ? hdr.sclInter : 0;
  for (let i = 0, o = start; i < n; i++, o += bpv) {
    const v = read(view, o, le);
    data[i] = scaled ? v * slope + inter : v;
  }
  const affine = niftiAffine(hdr);
  const dims: Dims3 = [nk, nj, ni];
  const nifti: NiftiSpace = {
    qformCode: hdr.qformCode, sformCode: hdr.sformCode, quatern: [...hdr.quatern], qfac: hdr.pixdim[0] < 0 ? -1 : 1,
    pixdim: [hdr.pixdim[1], hdr.pixdim[2], hdr.pixdim[3]], srow: [...hdr.srow], intentCode: hdr.intentCode, intentName: hdr.intentName,
  };
  return { data, dims, affine, spacing: spacingOf(affine), name, nifti };
}

export interface WriteNiftiOptions {
  /** Stored type: float32 for images, uint8/int16 for label maps (values are rounded and range-checked). */
  datatype?: 'float32' | 'uint8' | 'int16';
  /** sform_code and qform_code (1 scanner, 2 aligned, 3 Talairach, 4 MNI); default: the volume's `nifti` codes, else 2. */
  xformCode?: number;
  /**
   * The spatial header to keep (default: the volume's own `nifti`, from the file it was read from): its codes
   * and intent are written; on the same grid (equal affine) its qform and sform are copied exactly.
   */
  space?: NiftiSpace;
  description?: string;
  /** gzip level when the path ends in .gz (default 6). */
  level?: number;
  /** intent_code and intent_name (16 characters at most), e.g. { code: 1007, name: 'displacement' } for NIFTI_INTENT_VECTOR. */
  intent?: { code: number; name?: string };
}

/**
 * Several values per voxel (a vector field, feature maps), stored component-major: `data[c·n + voxel]` with
 * `n` voxels. Written as NIfTI's 5-D layout (dim = [5, ni, nj, nk, 1, components]), which ITK-SNAP, 3D Slicer
 * and NiiVue read as one multi-component image; readNifti's `{ volume: c }` reads component c back.
 */
export interface MultiComponentVolume extends Volume {
  components: number;
}

/** Writes a NIfTI-1 file, gzipped when the path ends in `.gz`. */
export function writeNifti(file: string, vol: Volume | MultiComponentVolume, opts: WriteNiftiOptions = {}): void {
  let bytes = encodeNifti(vol, opts);
  if (file.endsWith('.gz')) bytes = gzipSync(bytes, { level: opts.level ?? 6 });
  writeFileSync(file, bytes);
}

const OUT_TYPES = { float32: [16, 32], uint8: [2, 8], int16: [4, 16] } as const;

/**
 * NIfTI-1 bytes (348-byte header, no extensions, data at 352). The sform holds the affine exactly (float32);
 * the qform holds its closest rotation + voxel sizes, so both describe the same grid for rigid affines.
 */
export function encodeNifti(vol: Volume | MultiComponentVolume, opts: WriteNiftiOptions = {}): Uint8Array {
  const dt = opts.datatype ?? 'float32';
  const [code, bitpix] = OUT_TYPES[dt];
  const [nk, nj, ni] = vol.dims;
  const comps = 'components' in vol ? vol.components : 1;
  const n = voxelCount(vol.dims) * comps;
  if (vol.data.length !== n) throw new DataError(`writeNifti: ${vol.data.length} values for ${vol.dims.join('x')} voxels x ${comps} component(s) (${n} expected)`);
  const bpv = bitpix / 8;
  const out = new Uint8Array(352 + n * bpv);
  const v = new DataView(out.buffer);
  const space = opts.space ?? vol.nifti;
  const [qcode, scode] = opts.xformCode !== undefined || !space ? [opts.xformCode ?? 2, opts.xformCode ?? 2] : [space.qformCode, space.sformCode];
  // The same grid as the space's file: its own qform and sform, verbatim (a qform unlike the sform survives).
  const same = space !== undefined && sameAffine(vol.affine, space);
  const q = same
    ? { qfac: space.qfac, pixdim: space.pixdim, b: space.quatern[0], c: space.quatern[1], d: space.quatern[2], offset: space.quatern.slice(3, 6) }
    : affineToQform(vol.affine);
  const srow = same && space.sformCode > 0 ? space.srow : vol.affine.slice(0, 12);
  const intent = opts.intent ?? (space && space.intentCode ? { code: space.intentCode, name: space.intentName } : undefined);
  v.setInt32(0, 348, true);
  (comps > 1 ? [5, ni, nj, nk, 1, comps, 1, 1] : [3, ni, nj, nk, 1, 1, 1, 1]).forEach((d, k) => v.setInt16(40 + 2 * k, d, true));
  if (intent) {
    v.setInt16(68, intent.code, true);
    writeAscii(out, 328, 16, intent.name ?? '');
  }
  v.setInt16(70, code, true);
  v.setInt16(72, bitpix, true);
  [q.qfac, ...q.pixdim, ...(comps > 1 ? [1, 1, 0, 0] : [0, 0, 0, 0])].forEach((p, k) => v.setFloat32(76 + 4 * k, p, true));
  v.setFloat32(108, 352, true);
  v.setFloat32(112, 1, true);
  out[123] = 2; // xyzt_units: mm
  writeAscii(out, 148, 80, opts.description ?? 'gvsl-onnx');
  v.setInt16(252, qcode, true);
  v.setInt16(254, scode, true);
  [q.b, q.c, q.d, ...q.offset].forEach((x, k) => v.setFloat32(256 + 4 * k, x, true));
  for (let k = 0; k < 12; k++) v.setFloat32(280 + 4 * k, srow[k], true);
  writeAscii(out, 344, 4, 'n+1');
  const where = vol.name ? ` (${vol.name})` : '';
  if (dt === 'float32') {
    new Float32Array(out.buffer, 352, n).set(vol.data);
  } else {
    const [lo, hi] = dt === 'uint8' ? [0, 255] : [-32768, 32767];
    for (let i = 0; i < n; i++) {
      const x = Math.round(vol.data[i]);
      if (!(x >= lo && x <= hi)) throw new DataError(`writeNifti${where}: value ${vol.data[i]} at voxel ${i} does not fit ${dt}`);
      if (dt === 'uint8') out[352 + i] = x;
      else v.setInt16(352 + 2 * i, x, true);
    }
  }
  return out;
}

/** True when `affine` is the grid `space` describes (its sform, else its qform), to float32 precision. */
function sameAffine(affine: readonly number[], space: NiftiSpace): boolean {
  const hdr = { sformCode: space.sformCode, qformCode: space.qformCode, srow: space.srow, quatern: space.quatern, pixdim: [space.qfac, ...space.pixdim] } as Parameters<typeof niftiAffine>[0];
  const ref = niftiAffine(hdr);
  for (let k = 0; k < 12; k++) if (Math.abs(ref[k] - affine[k]) > 1e-5 * (1 + Math.abs(ref[k]))) return false;
  return true;
}

function writeAscii(out: Uint8Array, at: number, max: number, s: string): void {
  for (let k = 0; k < Math.min(s.length, max - 1); k++) out[at + k] = s.charCodeAt(k) & 0x7f;
}
