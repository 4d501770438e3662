import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as dcmjs from 'dcmjs';
import { readDicomSeries } from '../../runtime/data/dicom';

// Issue 18, finding 8: DICOM deviations common in archives, crafted here from clean dcmjs-written slices.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dicom-tol-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const [ROWS, COLS, SLICES] = [3, 4, 5];

/** Slice k of a 5-slice axial series (int16, value k·100 + r·10 + c), in the given transfer syntax. */
function slice(k: number, syntax = '1.2.840.10008.1.2.1'): Buffer {
  const px = new Int16Array(ROWS * COLS).map((_, i) => k * 100 + Math.floor(i / COLS) * 10 + (i % COLS));
  const uid = `1.2.3.4.${k}`;
  return Buffer.from(
    dcmjs.data.datasetToBuffer({
      _meta: {
        TransferSyntaxUID: syntax,
        MediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
        MediaStorageSOPInstanceUID: uid,
        ImplementationClassUID: '1.2.3',
      },
      _vrMap: { PixelData: 'OW' },
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      SOPInstanceUID: uid,
      SeriesInstanceUID: '1.2.3.9',
      Modality: 'CT',
      Rows: ROWS,
      Columns: COLS,
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      ImagePositionPatient: [0, 0, 2 * k],
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
      PixelSpacing: [0.5, 0.75],
      PixelData: [px.buffer],
    }),
  );
}

/** The data set alone: no preamble, no "DICM", no file meta group. */
function bare(b: Buffer): Buffer {
  const metaLength = b.readUInt32LE(140); // (0002,0000) UL, value after the 8-byte element header at 132
  return b.subarray(144 + metaLength);
}

function folder(name: string, files: Record<string, Buffer | null>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  for (const [f, b] of Object.entries(files)) {
    if (b) fs.writeFileSync(path.join(dir, f), b);
    else fs.symlinkSync(path.join(dir, 'no-such-target'), path.join(dir, f));
  }
  return dir;
}

const series = (make: (k: number) => Buffer, extra: Record<string, Buffer | null> = {}) =>
  Object.assign(Object.fromEntries(Array.from({ length: SLICES }, (_, k) => [`s${k}.dcm`, make(k)])), extra);

const clean = readDicomSeries(
  folder(
    'clean',
    series((k) => slice(k)),
  ),
  { warn: () => {} },
);

const variants: [string, (k: number) => Buffer][] = [
  ['padding bytes after the data set', (k) => Buffer.concat([slice(k), Buffer.alloc(k % 2 ? 7 : 64)])],
  ['a bare explicit-VR data set (no preamble, no meta group)', (k) => bare(slice(k))],
  ['a bare implicit-VR data set', (k) => bare(slice(k, '1.2.840.10008.1.2'))],
];

describe('tolerant DICOM reading', () => {
  test.each(variants)('%s reads as the clean series', (label, make) => {
    const dir = folder(label.replace(/\W+/g, '-'), series(make));
    const vol = readDicomSeries(dir, { warn: () => {} });
    expect(vol.dims).toEqual([SLICES, ROWS, COLS]);
    expect(vol.data).toEqual(clean.data);
    expect(vol.affine).toEqual(clean.affine);
  });

  const pydicom = (() => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import pydicom'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  (pydicom ? test : test.skip)('pydicom reads the same crafted files (the deviations are ones it tolerates)', () => {
    const files = variants.map(([label, make]) => {
      const f = path.join(tmp, `${label.replace(/\W+/g, '-')}.dcm`);
      fs.writeFileSync(f, make(2));
      return f;
    });
    const py =
      'import sys, pydicom\nfor f in sys.argv[1:]:\n    d = pydicom.dcmread(f, force=True)\n    print(d.Rows * 1000 + int(d.PixelData[2 * 6]))';
    const out = execFileSync('/usr/bin/python3', ['-c', py, ...files])
      .toString()
      .trim()
      .split('\n')
      .map(Number);
    expect(out).toEqual(files.map(() => ROWS * 1000 + 212)); // Rows, and the low byte of pixel (1, 2) of slice 2
  });

  test('an unreadable file among many is reported and skipped when the rest forms the series', () => {
    const notes: string[] = [];
    const broken = slice(9).subarray(0, 300); // DICM file cut inside its data set
    const dir = folder(
      'one-broken',
      series((k) => slice(k), { 'zz-broken.dcm': broken, 'gone.dcm': null }),
    );
    const vol = readDicomSeries(dir, { warn: (m) => notes.push(m) });
    expect(vol.data).toEqual(clean.data);
    expect(notes).toHaveLength(2);
    expect(notes.find((m) => m.includes('gone.dcm'))).toMatch(
      /gone\.dcm: a dangling symbolic link \(its target does not exist\); skipped \(the other 5 slices form the series\)/,
    );
    expect(notes.find((m) => m.includes('zz-broken.dcm'))).toMatch(
      /zz-broken\.dcm: (unreadable DICOM file|missing DICOM attribute).*; skipped/,
    );
  });

  test('a broken slice inside the series stops with one line that names it', () => {
    const dir = folder(
      'hole',
      series((k) => (k === 2 ? slice(k).subarray(0, 300) : slice(k))),
    );
    expect(() => readDicomSeries(dir, { warn: () => {} })).toThrow(
      /irregular slice spacing .* \(skipped as unreadable: .*s2\.dcm: /,
    );
  });
});
