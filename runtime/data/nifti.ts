import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { writeFileAtomic } from '../../sdk/bytes';
import { gzipSync } from 'node:zlib';
import { Gunzip } from 'fflate';
import { DataError } from './errors';
import { checkAffine, checkVoxelSizes } from './geometry-check';
import { niftiAffine, type NiftiHeader, parseNiftiHeader } from './nifti-header';
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

/** Bytes read from the file (or pushed through the gzip decoder) at a time. */
const CHUNK = 1 << 20;
/** Compressed bytes per push into the gzip decoder: at most ~16 MiB of output at once. */
const GZ_PUSH = 16 << 10;
/** Deflate's maximal expansion, to refuse headers that declare more data than the compressed file can hold. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * Reads a .nii or .nii.gz file (NIfTI-1 or -2) into a Volume; see volume.ts for the conventions. The file is
 * read and decompressed in 1 MiB chunks straight into the volume's Float32Array: the header is parsed and
 * checked first, so memory stays at the volume plus a few chunks and the decompressed size is bounded by the
 * header's declared dimensions (a gzip bomb stops there).
 */
export function readNifti(file: string, opts: ReadNiftiOptions = {}): Volume {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new DataError(`${file}: cannot read the file (${(e as { code?: string }).code ?? (e as Error).message})`);
  }
  try {
    const fileSize = fstatSync(fd).size;
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(fileSize, 1)));
    let first = true;
    let decoder: NiftiDecoder | null = null;
    const next = (): Uint8Array | null => {
      const n = readSync(fd, buf, 0, buf.length, null);
      return n > 0 ? buf.subarray(0, n) : null;
    };
    for (let chunk = next(); chunk; chunk = next()) {
      if (first) {
        decoder = new NiftiDecoder(file, opts, isGzip(chunk), fileSize);
        first = false;
      }
      if (decoder!.push(chunk)) break;
    }
    if (!decoder) throw new DataError(`${file}: empty file, not a NIfTI file`);
    return decoder.finish();
  } finally {
    closeSync(fd);
  }
}

/** Decodes NIfTI bytes (gzipped or not); `name` is quoted in errors and kept as the volume's name. */
export function parseNifti(bytes: Uint8Array, name: string, opts: ReadNiftiOptions = {}, chunk = CHUNK): Volume {
  const decoder = new NiftiDecoder(name, opts, isGzip(bytes), bytes.length);
  for (let at = 0; at < bytes.length; at += chunk) if (decoder.push(bytes.subarray(at, at + chunk))) break;
  return decoder.finish();
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Takes the file's bytes in order (compressed or not), parses the header from the first ones, then converts
 * the voxels of the chosen volume as they arrive; `push` returns true once the volume is complete.
 */
class NiftiDecoder {
  private head: Uint8Array[] = [];
  private headLength = 0;
  /** Decompressed bytes seen so far (the absolute position of the next one). */
  private pos = 0;
  private out: Float32Array | null = null;
  private start = 0;
  private end = 0;
  private hdr: NiftiHeader | null = null;
  private convert!: (bytes: Uint8Array, at: number, count: number, into: number) => void;
  private bpv = 1;
  /** A voxel split across two chunks. */
  private carry = new Uint8Array(8);
  private carried = 0;
  private done = false;
  private gunzip: Gunzip | null = null;
  private dims: Dims3 = [0, 0, 0];
  private affine: number[] = [];
  private typeName = '';

  constructor(private readonly name: string, private readonly opts: ReadNiftiOptions, gzip: boolean, private readonly fileSize: number) {
    if (gzip) {
      this.gunzip = new Gunzip();
      this.gunzip.ondata = (data) => {
        if (!this.done) this.take(data);
      };
    }
  }

  push(chunk: Uint8Array): boolean {
    if (this.gunzip) {
      try {
        // Small pushes: one push of zeros can inflate ~1000-fold, and its output arrives as one array.
        for (let at = 0; at < chunk.length && !this.done; at += GZ_PUSH) this.gunzip.push(chunk.subarray(at, at + GZ_PUSH));
      } catch (e) {
        if (e instanceof DataError) throw e;
        throw new DataError(`${this.name}: cannot decompress: corrupt gzip data (${(e as Error).message})`);
      }
    } else this.take(chunk);
    return this.done;
  }

  finish(): Volume {
    if (!this.hdr) {
      if (this.headLength === 0) throw new DataError(`${this.name}: ${this.gunzip ? 'cannot decompress: truncated or corrupt gzip data' : 'empty file, not a NIfTI file'}`);
      // A file shorter than 540 bytes: the header parser says what is wrong, or a tiny volume follows.
      this.parseHead();
      const head = concat(this.head, this.headLength);
      this.head = [];
      this.feed(head);
    }
    if (!this.done) {
      const what = `${this.dims[2]}x${this.dims[1]}x${this.dims[0]} ${this.typeName} voxels need ${this.end} bytes`;
      throw new DataError(this.gunzip
        ? `${this.name}: cannot decompress: truncated or corrupt gzip data (${what}, it holds ${this.pos})`
        : `${this.name}: truncated NIfTI file: ${what}, the file has ${this.pos}`);
    }
    const hdr = this.hdr!;
    const nifti: NiftiSpace = {
      qformCode: hdr.qformCode, sformCode: hdr.sformCode, quatern: [...hdr.quatern], qfac: hdr.pixdim[0] < 0 ? -1 : 1,
      pixdim: [hdr.pixdim[1], hdr.pixdim[2], hdr.pixdim[3]], srow: [...hdr.srow], intentCode: hdr.intentCode, intentName: hdr.intentName,
    };
    return { data: this.out!, dims: this.dims, affine: this.affine, spacing: spacingOf(this.affine), name: this.name, nifti };
  }

  private take(data: Uint8Array): void {
    if (!this.hdr) {
      this.head.push(data.slice());
      this.headLength += data.length;
      if (this.headLength < 540) return;
      this.parseHead();
      const head = concat(this.head, this.headLength);
      this.head = [];
      this.feed(head);
      return;
    }
    this.feed(data);
  }

  /** Converts the part of `data` (at absolute position this.pos) that lies in [start, end). */
  private feed(data: Uint8Array): void {
    const a = this.pos;
    this.pos += data.length;
    const lo = Math.max(this.start - a, 0);
    const hi = Math.min(this.end - a, data.length);
    if (hi <= lo) {
      if (this.pos >= this.end) this.done = true;
      return;
    }
    let p = lo;
    let voxel = (a + lo - this.start - this.carried) / this.bpv;
    if (this.carried > 0) {
      const need = Math.min(this.bpv - this.carried, hi - p);
      this.carry.set(data.subarray(p, p + need), this.carried);
      this.carried += need;
      p += need;
      if (this.carried < this.bpv) return;
      this.convert(this.carry, 0, 1, voxel++);
      this.carried = 0;
    }
    const whole = Math.floor((hi - p) / this.bpv);
    this.convert(data, p, whole, voxel);
    p += whole * this.bpv;
    if (p < hi) {
      this.carry.set(data.subarray(p, hi), 0);
      this.carried = hi - p;
    }
    if (a + hi >= this.end) this.done = true;
  }

  private parseHead(): void {
    const name = this.name;
    const bytes = concat(this.head, this.headLength);
    const hdr = parseNiftiHeader(bytes, name);
    const nd = hdr.dim[0];
    if (nd < 1 || nd > 7) throw new DataError(`${name}: invalid dim[0] = ${nd} in the NIfTI header`);
    const size = (k: number) => (k <= nd && hdr.dim[k] > 0 ? hdr.dim[k] : 1);
    const [ni, nj, nk] = [size(1), size(2), size(3)];
    const extra = [4, 5, 6, 7].map(size);
    const nvol = extra.reduce((a, b) => a * b, 1);
    let index = 0;
    if (nvol > 1) {
      if (this.opts.volume === undefined) {
        const more = nd > 4 ? `, dim[5..${nd}] = ${extra.slice(1, nd - 3).join(', ')}` : '';
        throw new DataError(`${name}: ${nd}-D image (dim[4] = ${extra[0]}${more}); only 3-D volumes are read, pass { volume: 0 } to take the first volume`);
      }
      index = this.opts.volume;
      if (!Number.isInteger(index) || index < 0 || index >= nvol) throw new DataError(`${name}: volume index ${index} out of range 0..${nvol - 1}`);
    }
    const type = DATATYPES[hdr.datatype];
    if (!type) throw new DataError(`${name}: unsupported NIfTI datatype code ${hdr.datatype}; scalar integer and float types only`);
    const hdrSize = hdr.version === 1 ? 348 : 540;
    if (!Number.isSafeInteger(hdr.voxOffset) || hdr.voxOffset < hdrSize) {
      throw new DataError(`${name}: vox_offset = ${hdr.voxOffset} in the NIfTI header; the voxel data must start after the ${hdrSize}-byte header (corrupt header)`);
    }
    if (hdr.sformCode <= 0) checkVoxelSizes(hdr.pixdim.slice(1, 4), name);
    const affine = niftiAffine(hdr);
    checkAffine(affine, name, hdr.sformCode > 0 ? 'sform (srow_x/y/z)' : hdr.qformCode > 0 ? 'qform' : 'pixdim scaling');
    const [typeName, bpv, read] = type;
    const n = ni * nj * nk;
    this.start = hdr.voxOffset + index * n * bpv;
    this.end = this.start + n * bpv;
    // Checked before the volume is allocated: a header cannot ask for more than the file can hold.
    const most = this.gunzip ? this.fileSize * MAX_DEFLATE_RATIO : this.fileSize;
    if (this.end > most) {
      throw new DataError(this.gunzip
        ? `${name}: the header declares ${ni}x${nj}x${nk} ${typeName} voxels (${this.end} bytes), more than the ${this.fileSize}-byte gzip file can hold (corrupt header)`
        : `${name}: truncated NIfTI file: ${ni}x${nj}x${nk} ${typeName} voxels need ${this.end} bytes, the file has ${this.fileSize}`);
    }
    // scl_slope = 0 (or NaN) means "no scaling", scl_inter included.
    const slope = hdr.sclSlope;
    const scaled = Number.isFinite(slope) && slope !== 0;
    const inter = scaled && Number.isFinite(hdr.sclInter) ? hdr.sclInter : 0;
    const le = hdr.littleEndian;
    const out = new Float32Array(n);
    this.convert = (bytes, at, count, into) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0, o = at; i < count; i++, o += bpv) {
        const v = read(view, o, le);
        out[into + i] = scaled ? v * slope + inter : v;
      }
    };
    this.hdr = hdr;
    this.out = out;
    this.bpv = bpv;
    this.typeName = typeName;
    this.dims = [nk, nj, ni];
    this.affine = affine;
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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
  // Atomic: a full disk or a kill never leaves a truncated image under `file`.
  writeFileAtomic(file, bytes);
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
