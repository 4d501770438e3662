import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../../sdk/bytes';
import { registrationPreviewPng } from '../../engine/plot/preview';
import { GEOMETRIES } from '../../../graphs/gvsl';
import { loadVolume, presetFromName, type Volume } from '../../data';
import { loadModel } from '../../serve/model';
import { checkLabelMap, metricsLines, registrationMetrics } from '../../serve/metrics';
import { writeLabelMap, writeRegistration } from '../../serve/write';
import { UserError } from '../../engine/errors';
import { type Command, defineCommand } from '../main';
import { checkOutputFile, checkOutputFolder, epOption, normalizeChoices, threadsOption } from '../options';
import { coarsest, sizeOption, spacingOption, widthsOption } from '../parse';

const fmt = (v: number) => (Math.abs(v) < 5e-5 ? 0 : v).toFixed(4).padStart(10);
const matrix = (m: number[], width: number) =>
  Array.from(
    { length: m.length / width },
    (_, r) =>
      `  [${m
        .slice(r * width, r * width + width)
        .map(fmt)
        .join(' ')} ]`,
  ).join('\n');

export const registerCommand: Command = defineCommand({
  command: 'register [fixed] [moving]',
  describe:
    'Register MOVING to FIXED with a GVSL model; writes the warped moving image and the displacement field as NIfTI, prints the affine matrix',
  builder: (y) =>
    y
      .positional('fixed', { type: 'string', describe: 'fixed image: .nii/.nii.gz file or DICOM folder' })
      .positional('moving', { type: 'string', describe: 'moving image: .nii/.nii.gz file or DICOM folder' })
      .option('preview', {
        type: 'string',
        describe: 'also write a PNG: three mid-slices of fixed, warped moving and their checkerboard',
      })
      .option('model', {
        type: 'string',
        demandOption: true,
        describe:
          'a pre-training run folder, gvsl.onnx (external data beside it is read) or GVSL weights (.safetensors / .pth)',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .option('fit', {
        choices: ['resample', 'none'] as const,
        default: 'resample' as const,
        describe:
          "resample: fit each volume's field of view onto the model grid (isotropic, zero-padded); none: use the voxels as they are (sizes must match the model)",
      })
      .option('normalize', {
        choices: [...normalizeChoices, 'none'] as const,
        describe: "intensity preset (default: the run's, else mr-percentile); none for volumes already in [0, 1]",
      })
      .option(
        'size',
        sizeOption('size', {
          describe:
            "model grid D,H,W (or one number) for graphs built from weights (default: the run's crop size, else 64)",
        }),
      )
      .option(
        'spacing',
        spacingOption('spacing', {
          describe:
            "never resample finer than this spacing in mm, D,H,W or one number; the model grid is isotropic, so its coarsest axis counts (default: the run's training spacing)",
        }),
      )
      .option(
        'chan',
        widthsOption('chan', {
          describe: 'U-Net widths c0..c8 of a weights file (default: read from its tensor shapes)',
        }),
      )
      .option('geometry', {
        choices: GEOMETRIES,
        describe: 'spatial conventions of the model, when the source does not say (.pth: official, else exact)',
      })
      .option('warp-original', {
        type: 'boolean',
        default: true,
        describe:
          'resample the original moving image onto the fixed grid (--no-warp-original: model-grid outputs only)',
      })
      .option('labels', {
        type: 'string',
        describe:
          'label map of MOVING (non-negative integers on its voxel grid); with --fixed-labels: prints Dice before and after, writes warped-labels.nii.gz',
      })
      .option('fixed-labels', {
        type: 'string',
        describe: 'label map of FIXED (on its voxel grid), scored against the warped --labels',
      })
      .option('metrics', {
        type: 'string',
        describe: 'write the registration metrics (Dice, Jacobian folding, NCC) as JSON to this file',
      })
      .option('ep', epOption)
      .option('threads', threadsOption)
      .check((a) => {
        if (!a.labels !== !a.fixedLabels)
          throw new UserError(
            `${a.labels ? '--labels' : '--fixed-labels'} needs ${a.labels ? '--fixed-labels' : '--labels'}: Dice compares the warped moving labels with the fixed labels; give both label maps`,
          );
        return true;
      }),
  async handler(a) {
    const t0 = performance.now();
    if (!a.fixed || !a.moving)
      throw new UserError(
        'register needs FIXED and MOVING images (on the command line or as fixed:/moving: in --config)',
      );
    if (a.preview && !/\.png$/i.test(a.preview))
      throw new UserError(`--preview ${a.preview}: the preview is a PNG: end the name with .png`);
    if (a.preview && !a.warpOriginal)
      throw new UserError('--preview shows the warped original image: it cannot be combined with --no-warp-original');
    // Before the work, not after the inference.
    checkOutputFolder('--out', a.out);
    if (a.preview) checkOutputFile('--preview', a.preview);
    if (a.metrics) checkOutputFile('--metrics', a.metrics);
    const fixed = loadVolume(a.fixed);
    const moving = loadVolume(a.moving);
    const labels =
      a.labels && a.fixedLabels
        ? {
            moving: loadLabels('--labels', a.labels, moving, a.moving),
            fixed: loadLabels('--fixed-labels', a.fixedLabels, fixed, a.fixed),
          }
        : undefined;
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
        throw new UserError(
          `cannot create the output folder ${a.out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        );
      }
      const files = writeRegistration(a.out, r, {
        model: model.name,
        fixed: a.fixed,
        moving: a.moving,
        timingsMs: r.timings,
      });
      if (a.preview && r.warped) {
        fs.mkdirSync(path.dirname(path.resolve(a.preview)), { recursive: true });
        writeFileAtomic(
          a.preview,
          registrationPreviewPng(fixed, r.warped, `${path.basename(a.moving)} -> ${path.basename(a.fixed)}`),
        );
        console.log(`preview: ${a.preview}`);
      }
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      console.log(`model: ${model.describe()}`);
      console.log(`fit: ${r.fit.description}`);
      console.log(
        `affine matrix (aff_mat_BA, geometry ${r.geometry}${r.geometry === 'exact' ? ': rows and columns (D, H, W) about the grid centre, translation in voxels' : ': rows (x, y, z) = (W, H, D) in normalised grid coordinates'}):`,
      );
      console.log(matrix(r.affine, 4));
      console.log('affine part in world coordinates (fixed RAS mm -> moving RAS mm):');
      console.log(matrix(r.worldAffine.slice(0, 12), 4));
      console.log(
        `wrote ${[files.warped, files.displacementItk, files.displacement, files.flowMagnitude, files.model.fixed, files.model.moving, files.model.warped, files.transform].filter(Boolean).join(', ')}`,
      );
      if (labels || a.metrics) {
        const { metrics, warpedLabels } = registrationMetrics(r, fixed, labels);
        const labelFile = warpedLabels ? path.join(a.out, 'warped-labels.nii.gz') : undefined;
        if (labelFile && warpedLabels)
          writeLabelMap(labelFile, warpedLabels, 'gvsl-onnx register: moving labels on the fixed grid');
        for (const line of metricsLines(metrics)) console.log(line);
        if (labelFile) console.log(`wrote ${labelFile} (the moving labels on the fixed grid, nearest neighbour)`);
        if (a.metrics) {
          const json = {
            model: model.name,
            fixed: a.fixed,
            moving: a.moving,
            labels: a.labels,
            fixedLabels: a.fixedLabels,
            fit: r.fit.description,
            geometry: r.geometry,
            ...metrics,
          };
          writeFileAtomic(
            a.metrics,
            JSON.stringify(json, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n',
          );
          console.log(`wrote ${a.metrics}`);
        }
      }
      console.log(
        `displacement: T(x) = x + u(x) (fixed -> moving) in mm; ${files.displacementItk ? 'displacement-itk.nii.gz on the fixed grid with LPS components (ITK/ANTs), ' : ''}model/displacement-ras.nii.gz on the model grid with RAS+ components; time ${s(performance.now() - t0)} (prepare ${s(r.timings.prepare)}, session ${s(r.timings.session)}, inference ${s(r.timings.inference)}, outputs ${s(r.timings.finish)})`,
      );
    } finally {
      await model.release();
    }
  },
});

/** A label map read for `flag`, checked against its image (same grid, integer labels); one line otherwise. */
function loadLabels(flag: string, file: string, image: Volume, imageFile: string): Volume {
  let v: Volume;
  try {
    v = loadVolume(file);
  } catch (e) {
    throw new UserError(`${flag} ${(e as Error).message}`);
  }
  checkLabelMap(v, image, `${flag} ${file}`, imageFile);
  return v;
}
