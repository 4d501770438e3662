import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as dcmjs from 'dcmjs';
import { DataError } from './errors';
import { spacingOf, type Volume } from './volume';

export interface ReadDicomOptions {
  /** Which series to read when the folder holds several (SeriesInstanceUID). */
  seriesUid?: string;
  /** Where notes on skipped files go (default: a `warning:` line on stderr). */
  warn?: (message: string) => void;
}

/** Uncompressed transfer syntaxes dcmjs decodes: implicit VR LE, explicit VR LE, deflated explicit VR LE. */
const SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99']);

interface Slice {
  file: string;
  pos: number[];
  rows: number;
  cols: number;
  iop: number[];
  spacing: number[];
  ds: Record<string, unknown>;
}

/**
 * Reads a folder of single-frame DICOM slices (one series) into a Volume: slices sorted by
 * ImagePositionPatient along the slice normal (row × column direction), RescaleSlope/Intercept applied per
 * slice, affine from ImageOrientationPatient, PixelSpacing and the first/last positions, converted from
 * DICOM's LPS to RAS+. Layout: w = column index, h = row index, d = slice (see volume.ts).
 */
export function readDicomSeries(dir: string, opts: ReadDicomOptions = {}): Volume {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => !f.startsWith('.') && f !== 'DICOMDIR').sort();
  } catch (e) {
    throw new DataError(`${dir}: cannot list the DICOM folder (${(e as Error).message})`);
  }
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const slices: Slice[] = [];
  // One unreadable file among many is skipped with a note, as long as the rest forms a regular series.
  const skipped: DataError[] = [];
  for (const f of names) {
    const file = join(dir, f);
    let isFile: boolean;
    try {
      isFile = statSync(file).isFile();
    } catch (e) {
      skipped.push(new DataError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'a dangling symbolic link (its target does not exist)' : `cannot read (${(e as Error).message})`}`));
      continue;
    }
    if (!isFile) continue;
    try {
      const s = readSlice(file);
      if (s) slices.push(s);
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      skipped.push(e);
    }
  }
  if (slices.length === 0) {
    if (skipped.length) throw skipped[0];
    throw new DataError(`${dir}: no DICOM files (with the DICM preamble, or bare data sets) in this folder`);
  }
  const series = [...new Set(slices.map((s) => String(s.ds.SeriesInstanceUID ?? '')))];
  let chosen = slices;
  if (opts.seriesUid !== undefined) {
    chosen = slices.filter((s) => s.ds.SeriesInstanceUID === opts.seriesUid);
    if (chosen.length === 0) throw new DataError(`${dir}: no slice of series ${opts.seriesUid} (found ${series.join(', ')})`);
  } else if (series.length > 1) {
    throw new DataError(`${dir}: ${series.length} series in one folder (${series.join(', ')}); pass { seriesUid } to pick one`);
  }
  let vol: Volume;
  try {
    vol = assemble(dir, chosen);
  } catch (e) {
    if (e instanceof DataError && skipped.length) throw new DataError(`${e.message} (skipped as unreadable: ${skipped.map((x) => x.message).join('; ')})`);
    throw e;
  }
  for (const e of skipped) warn(`${e.message}; skipped (the other ${chosen.length} slices form the series)`);
  return vol;
}

/** Implicit VR little endian, DICOM's default for data sets without file meta information. */
const IMPLICIT_LE = '1.2.840.10008.1.2';

/**
 * The file's bytes as dcmjs wants them (128-byte preamble, "DICM", file meta group), or null when it is not
 * DICOM. Like pydicom (`force=True`) and dcmtk, also takes bare data sets without preamble or meta group
 * (older archives): implicit or explicit VR little endian by the look of the first element. ("DICM" without
 * the preamble is refused, as pydicom does.)
 */
function asPart10(bytes: Buffer): Buffer | null {
  if (bytes.length >= 132 && bytes.toString('latin1', 128, 132) === 'DICM') return bytes;
  // A bare data set starts with a group 0x0008 (identifying) element, or 0x0002 (meta) written without preamble.
  if (bytes.length < 8) return null;
  const group = bytes.readUInt16LE(0);
  if (group !== 0x0008 && group !== 0x0002) return null;
  const explicit = /^[A-Z]{2}$/.test(bytes.toString('latin1', 4, 6));
  if (group === 0x0002) return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), bytes]);
  const syntax = explicit ? '1.2.840.10008.1.2.1' : IMPLICIT_LE;
  const uid = Buffer.from(syntax.length % 2 ? `${syntax}\0` : syntax, 'latin1');
  const ts = Buffer.alloc(8 + uid.length);
  ts.writeUInt16LE(0x0002, 0);
  ts.writeUInt16LE(0x0010, 2);
  ts.write('UI', 4, 'latin1');
  ts.writeUInt16LE(uid.length, 6);
  uid.copy(ts, 8);
  const len = Buffer.alloc(12);
  len.writeUInt16LE(0x0002, 0);
  len.writeUInt16LE(0x0000, 2);
  len.write('UL', 4, 'latin1');
  len.writeUInt16LE(4, 6);
  len.writeUInt32LE(ts.length, 8);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), len, ts, bytes]);
}

/**
 * dcmjs's reader, strict first; then tolerant of what real archives hold and pydicom/dcmtk accept: padding
 * or garbage after the last element (the data set read so far is kept; a cut-off PixelData is still caught
 * by the size checks), a missing meta group length.
 */
function parseDicom(bytes: Buffer): { meta: Record<string, { Value?: unknown[] }>; dict: Record<string, unknown> } {
  const ab = () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  return quietly(() => {
    try {
      return dcmjs.data.DicomMessage.readFile(ab());
    } catch (strict) {
      try {
        const d = dcmjs.data.DicomMessage.readFile(ab(), { ignoreErrors: true });
        if (!d.meta['00020010']) throw strict;
        return d;
      } catch {
        throw strict;
      }
    }
  });
}

interface Logger { getLevel(): number; setLevel(level: number | string): void }

/** Runs `f` with dcmjs's console logging off: its notes on padding bytes ("Invalid vr type") are not ours to print. */
function quietly<T>(f: () => T): T {
  const root = (dcmjs as unknown as { log: Logger & { getLogger(name: string): Logger } }).log;
  const loggers = [root, root.getLogger('validation.dcmjs')];
  const levels = loggers.map((l) => l.getLevel());
  loggers.forEach((l) => l.setLevel('silent'));
  try {
    return f();
  } finally {
    loggers.forEach((l, i) => l.setLevel(levels[i]));
  }
}

function readSlice(file: string): Slice | null {
  let bytes: Buffer | null;
  try {
    bytes = asPart10(readFileSync(file));
  } catch (e) {
    throw new DataError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!bytes) return null;
  let meta: Record<string, { Value?: unknown[] }>;
  let ds: Record<string, unknown>;
  try {
    const dict = parseDicom(bytes);
    meta = dict.meta;
    ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  } catch (e) {
    throw new DataError(`${file}: unreadable DICOM file (${(e as Error).message})`);
  }
  const syntax = String(meta['00020010']?.Value?.[0] ?? '');
  if (!SYNTAXES.has(syntax)) throw new DataError(`${file}: transfer syntax ${syntax} (compressed or big-endian) is not supported; decompress the series first (e.g. gdcmconv --raw)`);
  const need = ['Rows', 'Columns', 'ImagePositionPatient', 'ImageOrientationPatient', 'PixelSpacing', 'PixelData'];
  const missing = need.filter((k) => ds[k] === undefined);
  if (missing.length) throw new DataError(`${file}: missing DICOM attribute(s) ${missing.join(', ')}`);
  if (Number(ds.NumberOfFrames ?? 1) > 1) throw new DataError(`${file}: multi-frame DICOM (${ds.NumberOfFrames} frames) is not supported`);
  if (Number(ds.SamplesPerPixel ?? 1) !== 1) throw new DataError(`${file}: ${ds.SamplesPerPixel} samples per pixel; only grey-scale images are supported`);
  const nums = (v: unknown) => (Array.isArray(v) ? v : [v]).map(Number);
  return { file, pos: nums(ds.ImagePositionPatient), rows: Number(ds.Rows), cols: Number(ds.Columns), iop: nums(ds.ImageOrientationPatient), spacing: nums(ds.PixelSpacing), ds };
}

function assemble(dir: string, slices: Slice[]): Volume {
  const first = slices[0];
  for (const s of slices) {
    const same = s.rows === first.rows && s.cols === first.cols && s.iop.every((v, k) => Math.abs(v - first.iop[k]) < 1e-4) && s.spacing.every((v, k) => Math.abs(v - first.spacing[k]) < 1e-4);
    if (!same) throw new DataError(`${s.file}: size, orientation or pixel spacing differs from ${first.file}`);
  }
  const row = first.iop.slice(0, 3);
  const col = first.iop.slice(3, 6);
  const normal = [row[1] * col[2] - row[2] * col[1], row[2] * col[0] - row[0] * col[2], row[0] * col[1] - row[1] * col[0]];
  const along = (p: number[]) => p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
  slices.sort((a, b) => along(a.pos) - along(b.pos));
  const gaps = slices.slice(1).map((s, k) => along(s.pos) - along(slices[k].pos));
  const mean = gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0;
  const dup = gaps.findIndex((g) => g < 1e-3);
  if (dup >= 0) throw new DataError(`${dir}: ${slices[dup].file} and ${slices[dup + 1].file} have the same slice position`);
  if (gaps.some((g) => Math.abs(g - mean) > 0.01 * mean + 1e-3)) {
    throw new DataError(`${dir}: irregular slice spacing (gaps ${Math.min(...gaps).toFixed(3)}..${Math.max(...gaps).toFixed(3)} mm); missing slices?`);
  }
  const { rows, cols } = first;
  const n = rows * cols;
  const data = new Float32Array(n * slices.length);
  slices.forEach((s, k) => decodePixels(s, data.subarray(k * n, (k + 1) * n)));
  // DICOM: P(c, r, s) = IPP + c·Δc·row + r·Δr·col + s·step; PixelSpacing = [Δr (between rows), Δc].
  const [dr, dc] = first.spacing;
  const o = slices[0].pos;
  const last = slices[slices.length - 1].pos;
  const step = slices.length > 1
    ? [0, 1, 2].map((i) => (last[i] - o[i]) / (slices.length - 1))
    : normal.map((v) => v * Number(first.ds.SliceThickness ?? 1));
  const lps = [
    row[0] * dc, col[0] * dr, step[0], o[0],
    row[1] * dc, col[1] * dr, step[1], o[1],
    row[2] * dc, col[2] * dr, step[2], o[2],
    0, 0, 0, 1,
  ];
  const affine = lps.map((v, k) => (k < 8 ? -v : v) + 0); // LPS → RAS+: negate the x and y rows
  return { data, dims: [slices.length, rows, cols], affine, spacing: spacingOf(affine), name: dir };
}

function decodePixels(s: Slice, out: Float32Array): void {
  const ds = s.ds;
  const bits = Number(ds.BitsAllocated ?? 16);
  const stored = Number(ds.BitsStored ?? bits);
  const signed = Number(ds.PixelRepresentation ?? 0) === 1;
  const slope = Number(ds.RescaleSlope ?? 1) || 1;
  const inter = Number(ds.RescaleIntercept ?? 0) || 0;
  const px = ds.PixelData as ArrayBuffer[] | ArrayBuffer;
  const buf = Array.isArray(px) ? px[0] : px;
  if (![8, 16, 32].includes(bits)) throw new DataError(`${s.file}: BitsAllocated ${bits} is not supported (8, 16 or 32)`);
  const bytes = bits / 8;
  if (!buf || buf.byteLength < out.length * bytes) {
    throw new DataError(`${s.file}: pixel data has ${buf?.byteLength ?? 0} bytes, ${s.rows}x${s.cols} at ${bits} bits need ${out.length * bytes}`);
  }
  const view = new DataView(buf);
  const shift = 32 - stored;
  for (let i = 0; i < out.length; i++) {
    let v = bits === 8 ? view.getUint8(i) : bits === 16 ? view.getUint16(2 * i, true) : view.getUint32(4 * i, true);
    // Keep BitsStored bits; sign-extend from the stored high bit for signed data.
    v = signed ? (v << shift) >> shift : stored < 32 ? v & ((1 << stored) - 1) : v;
    out[i] = v * slope + inter;
  }
}
