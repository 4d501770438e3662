import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadVolume, writeNifti } from '../../data';
import { type SegModelInfo, SegPredictor } from '../../engine/seg-predictor';
import { formatDuration } from '../../engine/progress';
import { checkExecutionProvider, explainSessionError } from '../../engine/ort';
import { UserError } from '../../engine/errors';
import { type Command, defineCommand } from '../main';
import { checkOutputFile, epOption, normalizeChoices, positiveMm, threadsOption } from '../options';

export const segmentCommand: Command = defineCommand({
  command: 'segment <image>',
  describe: 'Label a whole volume with a segmentation model (sliding windows, Gaussian blending); writes a NIfTI label map on the input grid',
  builder: (y) =>
    y
      .positional('image', { type: 'string', demandOption: true, describe: '.nii/.nii.gz file or DICOM folder' })
      .option('model', { type: 'string', demandOption: true, describe: 'seg.onnx, a finetune run folder (its best weights) or a finetune checkpoint' })
      .option('out', { type: 'string', demandOption: true, describe: 'label map to write (.nii or .nii.gz)' })
      .option('overlap', { type: 'number', default: 0.25, describe: 'fraction of the window shared by neighbouring windows (MONAI default 0.25)' })
      .option('normalize', { choices: normalizeChoices, describe: "intensity preset (default: the model's)" })
      .option('spacing', { type: 'number', describe: "resample to this spacing in mm before inference (default: the model's)" })
      .option('ep', epOption)
      .option('threads', threadsOption)
      .option('quiet', { type: 'boolean', default: false, describe: 'no summary line' }),
  async handler(a) {
    const t0 = performance.now();
    if (!(a.overlap >= 0 && a.overlap < 1)) throw new UserError(`--overlap must be in [0, 1), got ${a.overlap}`);
    if (!/\.nii(\.gz)?$/i.test(a.out)) throw new UserError(`--out ${a.out}: the label map is written as NIfTI: end the name with .nii.gz or .nii`);
    if (!fs.existsSync(a.model)) throw new UserError(`--model ${a.model}: no such file or folder`);
    positiveMm('spacing', a.spacing);
    checkOutputFile('--out', a.out); // before the work, not after the inference
    checkExecutionProvider(a.ep);
    const override: Partial<SegModelInfo> = {};
    if (a.normalize) override.normalize = a.normalize;
    if (a.spacing !== undefined) override.spacing = a.spacing;
    let predictor: SegPredictor;
    try {
      predictor = await SegPredictor.load(a.model, { ep: a.ep, threads: a.threads }, override);
    } catch (e) {
      throw new UserError(`--model ${a.model}: ${explainSessionError(a.ep, (e as Error).message)}`);
    }
    if (!/\.onnx$/i.test(a.model) && (a.normalize || a.spacing !== undefined)) {
      process.stderr.write('warning: --normalize/--spacing override the preprocessing the checkpoint was trained with\n');
      Object.assign(predictor.info, override);
    }
    try {
      const vol = loadVolume(a.image);
      const labels = await predictor.segment(vol, a.overlap);
      fs.mkdirSync(path.dirname(path.resolve(a.out)), { recursive: true });
      writeNifti(a.out, labels, { datatype: predictor.info.classes <= 256 ? 'uint8' : 'int16', description: 'gvsl-onnx segment' });
      if (!a.quiet) {
        const counts = new Array<number>(predictor.info.classes).fill(0);
        for (const v of labels.data) counts[v]++;
        const fg = counts.slice(1).map((n, i) => `${i + 1}: ${n}`).join(', ');
        process.stderr.write(`${a.out}: ${labels.dims.slice().reverse().join('x')} labels (voxels per class ${fg}) in ${formatDuration((performance.now() - t0) / 1000)}\n`);
      }
    } finally {
      await predictor.release();
    }
  },
});
