import { normalize, percentiles, presetFromName } from '../../runtime/data/normalize';
import { makeVolume } from '../../runtime/data/volume';

const vol = (values: number[], name = 'v.nii.gz') =>
  makeVolume(Float32Array.from(values), [1, 1, values.length], [1, 1, 1], name);

test('ct-official clips to [0, 2048] and divides by 2048', () => {
  const out = normalize(vol([-1024, 0, 1024, 2048, 3000]), { preset: 'ct-official' });
  expect(Array.from(out.data)).toEqual([0, 0, 0.5, 1, 1]);
});

test('ct-hu maps a window onto [0, 1]', () => {
  expect(Array.from(normalize(vol([-2000, -1000, 0, 500, 1000, 4000]), { preset: 'ct-hu' }).data)).toEqual([
    0, 0, 0.5, 0.75, 1, 1,
  ]);
  expect(Array.from(normalize(vol([-200, 40, 300]), { preset: 'ct-hu', window: [-160, 240] }).data)).toEqual([
    0, 0.5, 1,
  ]);
});

test('mr-percentile clips to the 0.5/99.5 percentiles (numpy linear), optionally over non-zero voxels', () => {
  const values = Array.from({ length: 201 }, (_, i) => i); // percentile p of 0..200 is 2p
  expect(percentiles(Float32Array.from(values), [0.5, 99.5, 50])).toEqual([1, 199, 100]);
  const out = normalize(vol(values), { preset: 'mr-percentile' });
  expect(out.data[0]).toBe(0);
  expect(out.data[1]).toBe(0);
  expect(out.data[100]).toBeCloseTo(99 / 198, 6);
  expect(out.data[199]).toBe(1);
  expect(out.data[200]).toBe(1);
  const withZeros = Float32Array.from([0, 0, 0, 0, 10, 20, 30]);
  expect(percentiles(withZeros, [0, 100], true)).toEqual([10, 30]);
  const flat = normalize(vol([5, 5, 5]), { preset: 'mr-percentile' });
  expect(Array.from(flat.data)).toEqual([0, 0, 0]);
});

test('NaN voxels: an error naming the file and the count, or zeros when asked', () => {
  const v = vol([1, NaN, 3, NaN, Infinity], 'scan.nii.gz');
  expect(() => normalize(v, { preset: 'ct-official' })).toThrow(
    'scan.nii.gz: 3 NaN or infinite voxel(s) of 5: replace them in the file (e.g. with numpy.nan_to_num) and save it again',
  );
  const out = normalize(v, { preset: 'ct-hu', window: [0, 4] }, { nonFinite: 'zero' });
  expect(Array.from(out.data)).toEqual([0.25, 0, 0.75, 0, 0]);
  expect(Number.isNaN(v.data[1])).toBe(true); // the input is not modified
});

test('presets by name', () => {
  expect(presetFromName('ct-hu')).toEqual({ preset: 'ct-hu' });
  expect(() => presetFromName('z-score')).toThrow(
    "unknown normalisation 'z-score' (choose ct-official, ct-hu, mr-percentile)",
  );
});
