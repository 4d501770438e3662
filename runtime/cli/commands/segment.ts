import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../../sdk/bytes';
import { loadVolume, writeNifti } from '../../data';
import { caseId, isNnunetDataset, oneChannel, pickChannel, readDataset } from '../../data/datasets';
import { segmentationPreviewPng } from '../../engine/plot/preview';
import { type SegModelInfo, SegPredictor } from '../../engine/seg-predictor';
import { formatDuration } from '../../engine/progress';
import { checkExecutionProvider, explainSessionError } from '../../engine/ort';
import { UserError } from '../../engine/errors';
import { type Command, defineCommand } from '../main';
import { checkOutputFile, epOption, normalizeChoices, threadsOption } from '../options';
import { compactSpacing, numberOption, RULES, spacingOption } from '../parse';

const NIFTI = /\.nii(\.gz)?$/i;
const isDicomDir = (dir: string) => fs.readdirSync(dir).some((f) => /\.dcm$/i.test(f));

/** One input to label and where its label map goes. */
interface Job {
  image: string;
  out: string;
  preview?: string;
}

/**
 * The jobs of `segment INPUT --out OUT`: one file or DICOM folder → OUT (a .nii/.nii.gz file); a folder of
 * NIfTI files, an nnU-Net dataset (imagesTs, else imagesTr) or a datalist .json (`test`, else every entry) →
 * OUT as a folder of `<case>.nii.gz` (nnU-Net's naming: the _0000 channel suffix dropped).
 */
export function segmentJobs(
  input: string,
  out: string,
  opts: { channel?: string; baseDir?: string; preview?: string; warn?: (m: string) => void } = {},
): Job[] {
  if (!fs.existsSync(input)) throw new UserError(`${input}: no such file or folder`);
  const isDir = fs.statSync(input).isDirectory();
  const single = isDir ? !isNnunetDataset(input) && isDicomDir(input) : !/\.json$/i.test(input);
  if (single) {
    if (!NIFTI.test(out))
      throw new UserError(`--out ${out}: the label map is written as NIfTI: end the name with .nii.gz or .nii`);
    if (opts.preview && !/\.png$/i.test(opts.preview))
      throw new UserError(`--preview ${opts.preview}: the preview is a PNG: end the name with .png`);
    return [{ image: input, out, preview: opts.preview }];
  }
  if (NIFTI.test(out))
    throw new UserError(`--out ${out}: ${input} holds several images: give a folder for the label maps`);
  if (opts.preview && /\.png$/i.test(opts.preview))
    throw new UserError(
      `--preview ${opts.preview}: several images: give a folder for the previews (one <case>.png each)`,
    );
  let images: string[];
  let ending = '.nii.gz';
  if (isDir && !isNnunetDataset(input)) {
    const files = fs
      .readdirSync(input)
      .filter((f) => NIFTI.test(f))
      .sort()
      .map((f) => path.join(input, f));
    if (files.length === 0) throw new UserError(`${input}: no .nii/.nii.gz files and no DICOM slices`);
    images = oneChannel(files, input, opts.channel);
  } else {
    const ds = readDataset(input, { baseDir: opts.baseDir, warn: opts.warn });
    const ch = pickChannel(ds, opts.channel);
    let cases = ds.test;
    if (cases.length === 0) {
      cases = [...ds.training, ...ds.validation];
      opts.warn?.(
        `${input}: no ${ds.kind === 'nnunet' ? 'imagesTs' : '"test" entries'}: labelling the ${cases.length} training image(s)`,
      );
    }
    images = cases.map((c) => c.images[ch]);
    if (ds.kind === 'nnunet') ending = path.basename(images[0]).match(NIFTI)![0];
  }
  const ids = images.map(caseId);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new UserError(`${input}: two images map to the same output name ${dup}${ending}`);
  return images.map((image, i) => ({
    image,
    out: path.join(out, `${ids[i]}${ending}`),
    preview: opts.preview ? path.join(opts.preview, `${ids[i]}.png`) : undefined,
  }));
}

export const segmentCommand: Command = defineCommand({
  command: 'segment [image]',
  describe:
    'Label volumes with a segmentation model (sliding windows, Gaussian blending): one image → a NIfTI label map on its grid; a folder, nnU-Net dataset or datalist → a folder of label maps',
  builder: (y) =>
    y
      .positional('image', {
        type: 'string',
        describe:
          '.nii/.nii.gz file or DICOM folder; or a folder of NIfTI files, an nnU-Net raw dataset (imagesTs) or a datalist .json (test) to label them all',
      })
      .option('model', {
        type: 'string',
        demandOption: true,
        describe: 'seg.onnx, a finetune run folder (its best weights) or a finetune checkpoint',
      })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'label map to write (.nii or .nii.gz), or a folder for several inputs',
      })
      .option(
        'overlap',
        numberOption('overlap', RULES.fraction, {
          default: 0.25,
          describe: 'fraction of the window shared by neighbouring windows (MONAI default 0.25)',
        }),
      )
      .option('normalize', { choices: normalizeChoices, describe: "intensity preset (default: the model's)" })
      .option(
        'spacing',
        spacingOption('spacing', {
          describe: "resample to this spacing in mm before inference, D,H,W or one number (default: the model's)",
        }),
      )
      .option('channel', {
        type: 'string',
        describe: 'multi-channel inputs (nnU-Net _0000, _0001…): the channel to label, by name or index',
      })
      .option('base-dir', {
        type: 'string',
        describe: "folder a datalist's relative paths start from (default: the datalist's folder)",
      })
      .option('preview', {
        type: 'string',
        describe:
          'also write a PNG of three mid-slices with the labels overlaid (a folder of <case>.png for several inputs)',
      })
      .option('ep', epOption)
      .option('threads', threadsOption)
      .option('quiet', { type: 'boolean', default: false, describe: 'no summary line' }),
  async handler(a) {
    const t0 = performance.now();
    if (!a.image)
      throw new UserError(
        'segment needs an IMAGE (a file, DICOM folder, folder of images, nnU-Net dataset or datalist .json)',
      );
    const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
    const jobs = segmentJobs(a.image, a.out, { channel: a.channel, baseDir: a.baseDir, preview: a.preview, warn });
    // Before the work, not after the inference.
    for (const j of jobs) {
      checkOutputFile('--out', j.out);
      if (j.preview) checkOutputFile('--preview', j.preview);
    }
    if (!fs.existsSync(a.model)) throw new UserError(`--model ${a.model}: no such file or folder`);
    checkExecutionProvider(a.ep);
    const override: Partial<SegModelInfo> = {};
    if (a.normalize) override.normalize = a.normalize;
    if (a.spacing !== undefined) override.spacing = compactSpacing(a.spacing);
    let predictor: SegPredictor;
    try {
      predictor = await SegPredictor.load(a.model, { ep: a.ep, threads: a.threads }, override);
    } catch (e) {
      throw new UserError(`--model ${a.model}: ${explainSessionError(a.ep, (e as Error).message)}`);
    }
    if (!/\.onnx$/i.test(a.model) && (a.normalize || a.spacing !== undefined)) {
      process.stderr.write(
        'warning: --normalize/--spacing override the preprocessing the checkpoint was trained with\n',
      );
      Object.assign(predictor.info, override);
    }
    try {
      for (const j of jobs) {
        const t1 = performance.now();
        const vol = loadVolume(j.image);
        const labels = await predictor.segment(vol, a.overlap);
        // The label map keeps the input's sform/qform codes and qform (labels.nifti, from the image).
        writeNifti(j.out, labels, {
          datatype: predictor.info.classes <= 256 ? 'uint8' : 'int16',
          description: 'gvsl-onnx segment',
        });
        if (j.preview) writeFileAtomic(j.preview, segmentationPreviewPng(vol, labels, path.basename(j.image)));
        if (!a.quiet) {
          const counts = new Array<number>(predictor.info.classes).fill(0);
          for (const v of labels.data) counts[v]++;
          const fg = counts
            .slice(1)
            .map((n, i) => `${i + 1}: ${n}`)
            .join(', ');
          process.stderr.write(
            `${j.out}: ${labels.dims.slice().reverse().join('x')} labels (voxels per class ${fg}) in ${formatDuration((performance.now() - t1) / 1000)}${j.preview ? `, preview ${j.preview}` : ''}\n`,
          );
        }
      }
      if (!a.quiet && jobs.length > 1)
        process.stderr.write(
          `${jobs.length} label maps in ${a.out} in ${formatDuration((performance.now() - t0) / 1000)}\n`,
        );
    } finally {
      await predictor.release();
    }
  },
});
