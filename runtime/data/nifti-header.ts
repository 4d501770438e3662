import { DataError } from './errors';
import { qformToAffine } from './quatern';

/** The NIfTI-1/-2 header fields the reader uses. */
export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** dim[0..7]. */
  dim: number[];
  datatype: number;
  /** pixdim[0..7]; pixdim[0] is qfac. */
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  qformCode: number;
  sformCode: number;
  /** quatern_b, _c, _d, qoffset_x, _y, _z. */
  quatern: number[];
  /** srow_x, srow_y, srow_z (12 numbers). */
  srow: number[];
  intentCode: number;
  intentName: string;
}

/**
 * Parses a single-file NIfTI-1 (`n+1`) or NIfTI-2 (`n+2`) header, either byte order, from its field offsets
 * in nifti1.h / nifti2.h. (nifti-reader-js 0.8 is ESM-only and cannot be loaded from this CommonJS package.)
 */
export function parseNiftiHeader(bytes: Uint8Array, name: string): NiftiHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = (le: boolean) => (bytes.length >= 4 ? view.getInt32(0, le) : 0);
  const le = size(true) === 348 || size(true) === 540;
  const hdrSize = size(le);
  if (hdrSize !== 348 && hdrSize !== 540) throw new DataError(`${name}: not a NIfTI file (sizeof_hdr is neither 348 nor 540)`);
  if (bytes.length < hdrSize) throw new DataError(`${name}: truncated NIfTI file: ${bytes.length} bytes, the header alone needs ${hdrSize}`);
  const ascii = (at: number, n: number) => String.fromCharCode(...bytes.subarray(at, at + n));
  const v1 = hdrSize === 348;
  const magic = v1 ? ascii(344, 3) : ascii(4, 3);
  if (magic !== (v1 ? 'n+1' : 'n+2')) {
    const pair = magic === 'ni1' || magic === 'ni2';
    throw new DataError(`${name}: ${pair ? '.hdr/.img pairs are not supported, convert to a single .nii' : `bad NIfTI magic '${magic}'`}`);
  }
  const i16 = (o: number) => view.getInt16(o, le);
  const i32 = (o: number) => view.getInt32(o, le);
  const f32 = (o: number) => view.getFloat32(o, le);
  const f64 = (o: number) => view.getFloat64(o, le);
  const i64 = (o: number) => Number(view.getBigInt64(o, le));
  const seq = (n: number, at: (k: number) => number) => Array.from({ length: n }, (_, k) => at(k));
  const text = (at: number, n: number) => ascii(at, n).replace(/\0.*$/s, '');
  if (v1) {
    return {
      version: 1, littleEndian: le,
      dim: seq(8, (k) => i16(40 + 2 * k)), datatype: i16(70), pixdim: seq(8, (k) => f32(76 + 4 * k)),
      voxOffset: Math.round(f32(108)), sclSlope: f32(112), sclInter: f32(116),
      qformCode: i16(252), sformCode: i16(254),
      quatern: seq(6, (k) => f32(256 + 4 * k)), srow: seq(12, (k) => f32(280 + 4 * k)),
      intentCode: i16(68), intentName: text(328, 16),
    };
  }
  return {
    version: 2, littleEndian: le,
    dim: seq(8, (k) => i64(16 + 8 * k)), datatype: i16(12), pixdim: seq(8, (k) => f64(104 + 8 * k)),
    voxOffset: i64(168), sclSlope: f64(176), sclInter: f64(184),
    qformCode: i32(344), sformCode: i32(348),
    quatern: seq(6, (k) => f64(352 + 8 * k)), srow: seq(12, (k) => f64(400 + 8 * k)),
    intentCode: i32(504), intentName: text(508, 16),
  };
}

/** sform if sform_code > 0, else qform if qform_code > 0, else pixdim scaling (NIfTI methods 3, 2, 1). */
export function niftiAffine(h: NiftiHeader): number[] {
  if (h.sformCode > 0) return [...h.srow.map((v) => v + 0), 0, 0, 0, 1]; // + 0: no -0 from the file
  const px = [1, 2, 3].map((k) => (h.pixdim[k] > 0 ? h.pixdim[k] : 1)) as [number, number, number];
  if (h.qformCode > 0) {
    const [b, c, d, x, y, z] = h.quatern;
    return qformToAffine({ b, c, d, offset: [x, y, z], pixdim: px, qfac: h.pixdim[0] < 0 ? -1 : 1 });
  }
  return [px[0], 0, 0, 0, 0, px[1], 0, 0, 0, 0, px[2], 0, 0, 0, 0, 1];
}
