import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dcmjs from 'dcmjs';
import { readDicomSeries } from '../../runtime/data/dicom';
import { loadVolume } from '../../runtime/data/prepare';

const tmp = mkdtempSync(join(tmpdir(), 'data-dicom-'));
const theta = Math.PI / 6;
const row = [Math.cos(theta), Math.sin(theta), 0];
const col = [0, 0, -1];
const normal = [
  row[1] * col[2] - row[2] * col[1],
  row[2] * col[0] - row[0] * col[2],
  row[0] * col[1] - row[1] * col[0],
];
const origin = [-10, 20.5, 30];
const [ROWS, COLS, SLICES, GAP] = [3, 5, 4, 2.5];
const slopes = [2, 2, 1, 2];

/** A decimal string value fits 16 characters. */
const ds = (v: number) => +v.toFixed(8);

/** Writes slice k (explicit VR little endian, int16) with pixel value k·100 + r·10 − c. */
function writeSlice(dir: string, file: string, k: number, series = '1.2.3.9', position?: number[]): void {
  const px = new Int16Array(ROWS * COLS);
  for (let r = 0; r < ROWS; r++) for (let c = 0; c < COLS; c++) px[r * COLS + c] = k * 100 + r * 10 - c;
  const uid = `1.2.3.4.${k}.${series.length}`;
  const dataset = {
    _meta: {
      TransferSyntaxUID: '1.2.840.10008.1.2.1',
      MediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      MediaStorageSOPInstanceUID: uid,
      ImplementationClassUID: '1.2.3',
    },
    _vrMap: { PixelData: 'OW' },
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
    SOPInstanceUID: uid,
    SeriesInstanceUID: series,
    Modality: 'CT',
    Rows: ROWS,
    Columns: COLS,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    InstanceNumber: SLICES - k,
    ImagePositionPatient: (position ?? origin.map((o, i) => o + k * GAP * normal[i])).map(ds),
    ImageOrientationPatient: [...row, ...col].map(ds),
    PixelSpacing: [0.8, 0.6],
    RescaleSlope: slopes[k],
    RescaleIntercept: -1024,
    PixelData: [px.buffer],
  };
  writeFileSync(join(dir, file), dcmjs.data.datasetToBuffer(dataset));
}

function series(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  // File names sort in a different order than the slice positions.
  ['b.dcm', 'd.dcm', 'a.dcm', 'c.dcm'].forEach((f, k) => writeSlice(dir, f, k));
  return dir;
}

test('a synthetic series: slices sorted along the normal, rescale per slice, LPS affine converted to RAS', () => {
  const dir = series('good');
  writeFileSync(join(dir, 'README.txt'), 'not a DICOM file');
  const vol = loadVolume(dir);
  expect(vol.dims).toEqual([SLICES, ROWS, COLS]);
  for (let k = 0; k < SLICES; k++)
    for (let r = 0; r < ROWS; r++)
      for (let c = 0; c < COLS; c++) {
        expect(vol.data[(k * ROWS + r) * COLS + c]).toBe((k * 100 + r * 10 - c) * slopes[k] - 1024);
      }
  const lps = [
    [row[0] * 0.6, col[0] * 0.8, normal[0] * GAP, origin[0]],
    [row[1] * 0.6, col[1] * 0.8, normal[1] * GAP, origin[1]],
    [row[2] * 0.6, col[2] * 0.8, normal[2] * GAP, origin[2]],
  ];
  const ras = [...lps[0].map((v) => -v), ...lps[1].map((v) => -v), ...lps[2], 0, 0, 0, 1];
  vol.affine.forEach((a, k) => expect(a).toBeCloseTo(ras[k], 4));
  expect(vol.spacing.map((s) => +s.toFixed(4))).toEqual([GAP, 0.8, 0.6]);
  expect(vol.name).toBe(dir);
});

test('several series in one folder need a seriesUid', () => {
  const dir = series('mixed');
  writeSlice(dir, 'other.dcm', 0, '9.9.9');
  expect(() => readDicomSeries(dir)).toThrow(
    `${dir}: 2 series in one folder (1.2.3.9, 9.9.9); pass { seriesUid } to pick one`,
  );
  expect(readDicomSeries(dir, { seriesUid: '1.2.3.9' }).dims).toEqual([SLICES, ROWS, COLS]);
  expect(readDicomSeries(dir, { seriesUid: '9.9.9' }).dims).toEqual([1, ROWS, COLS]);
});

test('empty folders, duplicate positions and gaps are clear errors', () => {
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  expect(() => readDicomSeries(empty)).toThrow(
    `${empty}: no DICOM files (with the DICM preamble, or bare data sets) in this folder`,
  );
  const dup = join(tmp, 'dup');
  mkdirSync(dup);
  writeSlice(dup, 'a.dcm', 0);
  writeSlice(dup, 'b.dcm', 1, '1.2.3.9', origin);
  expect(() => readDicomSeries(dup)).toThrow(/have the same slice position/);
  const gap = join(tmp, 'gap');
  mkdirSync(gap);
  [0, 1, 3].forEach((k) => writeSlice(gap, `${k}.dcm`, k));
  expect(() => readDicomSeries(gap)).toThrow(/irregular slice spacing \(gaps 2\.500\.\.5\.000 mm\)/);
});
