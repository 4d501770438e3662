/**
 * Regenerates data/samples/ (the volumes bundled for the embedded default pre-training run) from the Debian
 * packaged files listed under "Provenance" in data/samples/README.md. Deterministic: same inputs, same bytes.
 *
 *   npx tsc -p . && node dist/scripts/make-samples.js [SOURCE_DIR]
 *
 * SOURCE_DIR defaults to /work/shared/data and must hold brain-mr/ch2.nii.gz and brain-mr/itk-t1-head.nii.gz.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { blurAxis } from '../runtime/data/augment/elastic';
import { readNifti, writeNifti } from '../runtime/data/nifti';
import { resample } from '../runtime/data/resample';
import type { Volume } from '../runtime/data/volume';

const source = process.argv[2] ?? '/work/shared/data';
const out = resolve(__dirname, '..', '..', 'data', 'samples');

function save(name: string, vol: Volume, xformCode: number, description: string): void {
  const file = join(out, name);
  writeNifti(
    file,
    { ...vol, data: vol.data.map((v) => Math.round(v)) },
    { datatype: 'uint8', xformCode, description, level: 9 },
  );
  console.log(`${file}: ${vol.dims.join('x')} at ${vol.spacing.join('x')} mm, ${statSync(file).size} bytes`);
}

// Colin27 (ch2), 1 mm MNI, uint8 0..254: smoothed by [¼ ½ ¼] per axis against aliasing (181 is odd, so the
// 2 mm grid falls on every other voxel centre), trilinear to 2 mm over the same field of view, rounded.
const ch2 = readNifti(join(source, 'brain-mr', 'ch2.nii.gz'));
const tent = Float64Array.of(0.25, 0.5, 0.25);
let smooth = ch2.data;
for (const axis of [0, 1, 2]) smooth = blurAxis(smooth, ch2.dims, axis, tent);
save('ch2-2mm.nii.gz', resample({ ...ch2, data: smooth }, 2), 4, 'ch2 (Colin27) 2mm, mricron-data');

// ITK KmeansTest T1 head, 2x2x3 mm coronal, int16 holding 0..255: stored as uint8, values and grid unchanged.
const itk = readNifti(join(source, 'brain-mr', 'itk-t1-head.nii.gz'));
save('itk-t1-head.nii.gz', itk, 1, 'ITK KmeansTest_T1UCharRaw');
