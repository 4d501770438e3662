/**
 * Regenerates data/samples/labels/ (the brain masks of the bundled sample volumes and ch2's AAL lobe map, for the
 * brain study) from the Debian packaged files listed under "Provenance" in data/samples/README.md. Deterministic.
 *
 *   npx tsc -p . && node dist/examples/study-brain/make-labels.js [SOURCE_DIR]
 *
 * SOURCE_DIR defaults to /work/shared/data and must hold brain-mr/ch2bet.nii.gz, brain-mr/itk-t1-brainmask.nii.gz,
 * brain-mr/aal.nii.gz and brain-mr/aal.nii.txt.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { blurAxis } from '../../runtime/data/augment/elastic';
import { readNifti, writeNifti } from '../../runtime/data/nifti';
import { resample } from '../../runtime/data/resample';
import type { Volume } from '../../runtime/data/volume';
import { aalToLobe, labelsOnGrid, LOBE_OF_AAL_CODE_DIGIT, LOBES, mergeLabels } from './lobes';

const source = process.argv[2] ?? '/work/shared/data';
const out = resolve(__dirname, '..', '..', '..', 'data', 'samples', 'labels');
mkdirSync(out, { recursive: true });

function save(name: string, vol: Volume, xformCode: number, description: string): void {
  const file = join(out, name);
  writeNifti(file, vol, { datatype: 'uint8', xformCode, description, level: 9 });
  const counts = new Map<number, number>();
  for (const v of vol.data) counts.set(v, (counts.get(v) ?? 0) + 1);
  const perClass = [...counts]
    .filter(([v]) => v > 0)
    .sort((x, y) => x[0] - y[0])
    .map(([v, n]) => `${v}: ${n}`)
    .join(', ');
  console.log(
    `${file}: ${vol.dims.join('x')} at ${vol.spacing.join('x')} mm, voxels per class {${perClass}}, ${statSync(file).size} bytes`,
  );
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
save(
  'itk-t1-head.nii.gz',
  { ...itk, data: itk.data.map((v) => (v > 0 ? 1 : 0)) },
  1,
  'KmeansTest_T1RawSkullStrip>0, ITK',
);

// AAL (116 regions on ch2's 1 mm grid) merged into lobes (lobes.ts: the table, after the first digit of AAL's
// codes), then carried onto ch2-2mm.nii.gz's grid by nearest neighbour through both affines (every 2 mm voxel
// centre is a 1 mm voxel centre there, so this keeps every other voxel). White matter stays 0 (AAL has none).
const lut = aalToLobe();
for (const line of readFileSync(join(source, 'brain-mr', 'aal.nii.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())) {
  const [index, region, code] = line.trim().split(/\s+/);
  if (lut[Number(index)] !== LOBE_OF_AAL_CODE_DIGIT[Number(code[0])])
    throw new Error(`aal.nii.txt: ${region} (${index}, code ${code}) is not in lobe ${LOBES[lut[Number(index)]]}`);
}
const aal = readNifti(join(source, 'brain-mr', 'aal.nii.gz'));
const ch2 = readNifti(resolve(out, '..', 'ch2-2mm.nii.gz'));
const lobes = labelsOnGrid({ ...aal, data: mergeLabels(aal.data, lut, 'aal.nii.gz') }, ch2);
save('ch2-2mm-lobes.nii.gz', lobes, 4, `AAL lobes (${LOBES.length} classes) at 2mm, mricron-data`);
