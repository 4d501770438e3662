/**
 * Regenerates data/samples/labels/ (the brain masks of the bundled sample volumes, for the brain-mask study)
 * from the Debian packaged files described in /work/shared/data/README.md. Deterministic.
 *
 *   npx tsc -p . && node dist/examples/study-brain/make-labels.js [SOURCE_DIR]
 *
 * SOURCE_DIR defaults to /work/shared/data and must hold brain-mr/ch2bet.nii.gz and brain-mr/itk-t1-brainmask.nii.gz.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { blurAxis } from '../../runtime/data/augment/elastic';
import { readNifti, writeNifti } from '../../runtime/data/nifti';
import { resample } from '../../runtime/data/resample';
import type { Volume } from '../../runtime/data/volume';

const source = process.argv[2] ?? '/work/shared/data';
const out = resolve(__dirname, '..', '..', '..', 'data', 'samples', 'labels');
mkdirSync(out, { recursive: true });

function save(name: string, vol: Volume, xformCode: number, description: string): void {
  const file = join(out, name);
  writeNifti(file, vol, { datatype: 'uint8', xformCode, description, level: 9 });
  const n = vol.data.reduce((s, v) => s + v, 0);
  console.log(`${file}: ${vol.dims.join('x')} at ${vol.spacing.join('x')} mm, ${n} brain voxels, ${statSync(file).size} bytes`);
}

// ch2bet > 0 on the 1 mm grid, then exactly the processing of ch2-2mm.nii.gz (scripts/make-samples.ts): the
// [¼ ½ ¼] smoothing per axis and trilinear 2 mm resampling, applied to the 0/1 mask, thresholded at ½.
const bet = readNifti(join(source, 'brain-mr', 'ch2bet.nii.gz'));
const tent = Float64Array.of(0.25, 0.5, 0.25);
let mask: Float32Array = bet.data.map((v) => (v > 0 ? 1 : 0));
for (const axis of [0, 1, 2]) mask = blurAxis(mask, bet.dims, axis, tent);
const m2 = resample({ ...bet, data: mask }, 2);
save('ch2-2mm.nii.gz', { ...m2, data: m2.data.map((v) => (v >= 0.5 ? 1 : 0)) }, 4, 'ch2bet>0 at 2mm, mricron-data');

// The ITK subject's skull-strip mask (values 4/5/6 inside) > 0, on its own grid (unchanged).
const itk = readNifti(join(source, 'brain-mr', 'itk-t1-brainmask.nii.gz'));
save('itk-t1-head.nii.gz', { ...itk, data: itk.data.map((v) => (v > 0 ? 1 : 0)) }, 1, 'KmeansTest_T1RawSkullStrip>0, ITK');
