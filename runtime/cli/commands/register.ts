import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../../sdk/bytes';
import { registrationPreviewPng } from '../../engine/plot/preview';
import { GEOMETRIES } from '../../../graphs/gvsl';
import { loadVolume, presetFromName } from '../../data';
import { loadModel } from '../../serve/model';
import { writeRegistration } from '../../serve/write';
import { UserError } from '../../engine/errors';
import { type Command, defineCommand } from '../main';
import { epOption, normalizeChoices, threadsOption } from '../options';
import { coarsest, sizeOption, spacingOption, widthsOption } from '../parse';

const fmt = (v: number) => (Math.abs(v) < 5e-5 ? 0 : v).toFixed(4).padStart(10);
const matrix = (m: number[], width: number) => Array.from({ length: m.length / width }, (_, r) => `  [${m.slice(r * width, r * width + width).map(fmt).join(' ')} ]`).join('\n');

export const registerCommand: Command = defineCommand({
  command: 'register [fixed] [moving]',
  describe: 'Register MOVING to FIXED with a GVSL model; writes the warped moving image and the displacement field as NIfTI, prints the affine matrix',
  builder: (y) =>
    y
      .positional('fixed', { type: 'string', describe: 'fixed image: .nii/.nii.gz file or DICOM folder' })
      .positional('moving', { type: 'string', describe: 'moving image: .nii/.nii.gz file or DICOM folder' })
      .option('preview', { type: 'string', describe: 'also write a PNG: three mid-slices of fixed, warped moving and their checkerboard' })
      .option('model', { type: 'string', demandOption: true, describe: 'a pre-training run folder, gvsl.onnx (external data beside it is read) or GVSL weights (.safetensors / .pth)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .option('fit', { choices: ['resample', 'none'] as const, default: 'resample' as const, describe: "resample: fit each volume's field of view onto the model grid (isotropic, zero-padded); none: use the voxels as they are (sizes must match the model)" })
      .option('normalize', { choices: [...normalizeChoices, 'none'] as const, describe: "intensity preset (default: the run's, else mr-percentile); none for volumes already in [0, 1]" })
      .option('size', sizeOption('size', { describe: "model grid D,H,W (or one number) for graphs built from weights (default: the run's crop size, else 64)" }))
      .option('spacing', spacingOption('spacing', { describe: "never resample finer than this spacing in mm, D,H,W or one number; the model grid is isotropic, so its coarsest axis counts (default: the run's training spacing)" }))
      .option('chan', widthsOption('chan', { describe: 'U-Net widths c0..c8 of a weights file (default: read from its tensor shapes)' }))
      .option('geometry', { choices: GEOMETRIES, describe: 'spatial conventions of the model, when the source does not say (.pth: official, else exact)' })
      .option('warp-original', { type: 'boolean', default: true, describe: 'resample the original moving image onto the fixed grid (--no-warp-original: model-grid outputs only)' })
      .option('ep', epOption)
      .option('threads', threadsOption),
  async handler(a) {
    const t0 = performance.now();
    if (!a.fixed || !a.moving) throw new UserError('register needs FIXED and MOVING images (on the command line or as fixed:/moving: in --config)');
    if (a.preview && !/\.png$/i.test(a.preview)) throw new UserError(`--preview ${a.preview}: the preview is a PNG: end the name with .png`);
    if (a.preview && !a.warpOriginal) throw new UserError('--preview shows the warped original image: it cannot be combined with --no-warp-original');
    const fixed = loadVolume(a.fixed);
    const moving = loadVolume(a.moving);
    const model = await loadModel(a.model, {
      ep: a.ep,
      threads: a.threads,
      chan: a.chan?.join(','),
      geometry: a.geometry,
      size: a.size,
      spacing: a.spacing === undefined ? undefined : coarsest(a.spacing),
      normalize: a.normalize === undefined ? undefined : a.normalize === 'none' ? 'none' : presetFromName(a.normalize),
    });
    try {
      for (const note of model.source.notes) process.stderr.write(`note: ${note}\n`);
      const r = await model.register(fixed, moving, { fit: a.fit, warpOriginal: a.warpOriginal });
      try {
        fs.mkdirSync(a.out, { recursive: true });
      } catch (e) {
        throw new UserError(`cannot create the output folder ${a.out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      const files = writeRegistration(a.out, r, { model: model.name, fixed: a.fixed, moving: a.moving, timingsMs: r.timings });
      if (a.preview && r.warped) {
        fs.mkdirSync(path.dirname(path.resolve(a.preview)), { recursive: true });
        writeFileAtomic(a.preview, registrationPreviewPng(fixed, r.warped, `${path.basename(a.moving)} -> ${path.basename(a.fixed)}`));
        console.log(`preview: ${a.preview}`);
      }
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      console.log(`model: ${model.describe()}`);
      console.log(`fit: ${r.fit.description}`);
      console.log(`affine matrix (aff_mat_BA, geometry ${r.geometry}${r.geometry === 'exact' ? ': rows and columns (D, H, W) about the grid centre, translation in voxels' : ': rows (x, y, z) = (W, H, D) in normalised grid coordinates'}):`);
      console.log(matrix(r.affine, 4));
      console.log('affine part in world coordinates (fixed RAS mm -> moving RAS mm):');
      console.log(matrix(r.worldAffine.slice(0, 12), 4));
      console.log(`wrote ${[files.warped, files.displacementItk, files.displacement, files.flowMagnitude, files.model.fixed, files.model.moving, files.model.warped, files.transform].filter(Boolean).join(', ')}`);
      console.log(`displacement: T(x) = x + u(x) (fixed -> moving) in mm; ${files.displacementItk ? 'displacement-itk.nii.gz on the fixed grid with LPS components (ITK/ANTs), ' : ''}model/displacement-ras.nii.gz on the model grid with RAS+ components; time ${s(performance.now() - t0)} (prepare ${s(r.timings.prepare)}, session ${s(r.timings.session)}, inference ${s(r.timings.inference)}, outputs ${s(r.timings.finish)})`);
    } finally {
      await model.release();
    }
  },
});
