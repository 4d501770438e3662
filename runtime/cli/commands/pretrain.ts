import * as path from 'node:path';
import { GEOMETRIES, type Geometry } from '../../../graphs/gvsl';
import { samplePaths } from '../../data';
import { configGeometry } from '../../../graphs/gvsl';
import { type PretrainConfig, SAMPLE_DEFAULTS } from '../../pretrain/config';
import { formatDuration } from '../../engine/progress';
import { pretrain } from '../../pretrain/run';
import { discoverVolumes } from '../../pretrain/volumes';
import { UserError } from '../../engine/errors';
import { resumeCheckpoint } from '../resume';
import { type Command, defineCommand } from '../main';
import { MAX_BUFFER_OPTION, setMaxBufferMiB } from '../../engine/gpu-limits';
import { normalizeChoices, runOptionsOf, trainingRunOptions } from '../options';
import { compactSpacing, numberOption, RULES, sizeOption, spacingOption, widthsOption } from '../parse';

export const pretrainCommand: Command = defineCommand({
  command: 'pretrain [data..]',
  describe: 'GVSL self-supervised pre-training on unlabelled volumes (default: the bundled brain MR samples)',
  builder: (y) =>
    trainingRunOptions(y, 'pretrain')
      .positional('data', { type: 'string', array: true, default: [], describe: '.nii/.nii.gz files, DICOM folders, folders holding them, nnU-Net raw dataset folders or datalist .json files' })
      .option('channel', { type: 'string', describe: 'multi-channel data (nnU-Net _0000, _0001…): the channel to train on, by name or index' })
      .option('size', sizeOption('size', { describe: 'crop D,H,W (or one number); default 64 (32 on the samples)' }))
      .option('batch', numberOption('batch', RULES.positiveInt, { default: 1, describe: 'pairs per step' }))
      .option('chan', widthsOption('chan', { describe: 'U-Net widths c0..c8; default the official 32,…,32 (8,16,16,32,32,32,16,16,16 on the samples)' }))
      .option('geometry', { choices: GEOMETRIES, describe: "exact (default): identity warps are exact, one (D,H,W) axis order, one fused sampling, zero-initialised flow; official: the official code's warps (and, unless --no-official-augment, its augmentation)" })
      .option('lr', numberOption('lr', RULES.positive, { describe: 'Adam learning rate; default 1e-4 as the official code (1e-3 on the samples)' }))
      .option('steps', numberOption('steps', RULES.positiveInt, { describe: 'total optimizer steps; default 1000 (150 on the samples)' }))
      .option('seed', numberOption('seed', RULES.seed, { default: 0 }))
      .option('w-ncc', numberOption('w-ncc', RULES.nonNegative, { default: 1, describe: 'weight of the NCC registration loss' }))
      .option('w-mse', numberOption('w-mse', RULES.nonNegative, { default: 1, describe: 'weight of the MSE restoration loss' }))
      .option('w-smooth', numberOption('w-smooth', RULES.nonNegative, { default: 1, describe: 'weight of the flow smoothness loss' }))
      .option('normalize', { choices: normalizeChoices, default: 'mr-percentile' as const, describe: 'intensity preset: ct-official = clip [0,2048]/2048 (official GVSL), ct-hu = HU window, mr-percentile = 0.5–99.5 %' })
      .option('spacing', spacingOption('spacing', { describe: 'resample to this spacing in mm, D,H,W or one number (default: keep; 3 on the samples)' }))
      .option('weights', { type: 'string', describe: 'start from these weights (.safetensors or PyTorch .pth; full GVSL or backbone-only)' })
      .option('max-buffer-mib', { ...MAX_BUFFER_OPTION, ...numberOption('max-buffer-mib', RULES.positive) })
      .option('augment', { type: 'boolean', default: true, describe: 'appearance damage of A and the shared spatial augmentation (--no-augment turns both off)' })
      .option('official-augment', { type: 'boolean', describe: "reproduce the official code's augmentation quirks (default: on with --geometry official, off otherwise)" }),
  async handler(a) {
    setMaxBufferMiB(a.maxBufferMib);
    let cfg: PretrainConfig;
    let resume;
    if (a.resume) {
      const ck = resumeCheckpoint<PretrainConfig>(a.resume);
      // A resumed run keeps its geometry (the trained weights follow its conventions).
      const geometry = configGeometry(ck.meta.config);
      if (a.geometry && a.geometry !== geometry) {
        throw new UserError(`--resume ${a.resume}: the run was trained with --geometry ${geometry}; it cannot resume as ${a.geometry} (leave --geometry out)`);
      }
      cfg = { ...ck.meta.config, geometry, steps: a.steps ?? ck.meta.config.steps };
      resume = { state: ck.state, step: ck.meta.step };
    } else {
      const samples = a.data.length === 0;
      const volumes = samples ? samplePaths() : discoverVolumes(a.data, { channel: a.channel, warn: (m) => process.stderr.write(`warning: ${m}\n`) });
      const chan = a.chan ?? (samples ? [...SAMPLE_DEFAULTS.chan] : [32, 64, 128, 256, 512, 256, 128, 64, 32]);
      const steps = a.steps ?? (samples ? SAMPLE_DEFAULTS.steps : 1000);
      const geometry = a.geometry ?? 'exact';
      cfg = {
        volumes,
        samples,
        size: a.size ?? (samples ? SAMPLE_DEFAULTS.size : [64, 64, 64]),
        batch: a.batch,
        chan,
        geometry,
        lr: a.lr ?? (samples ? SAMPLE_DEFAULTS.lr : 1e-4),
        steps,
        seed: a.seed,
        lossWeights: { ncc: a.wNcc, mse: a.wMse, smooth: a.wSmooth },
        normalize: a.normalize,
        spacing: compactSpacing(a.spacing) ?? (samples ? SAMPLE_DEFAULTS.spacing : undefined),
        saveEvery: a.saveEvery,
        augment: { appearance: a.augment, spatial: a.augment },
        // The official geometry preset reproduces the official data too, unless asked otherwise.
        officialAugment: a.officialAugment ?? geometry === 'official',
        weights: a.weights ? path.resolve(a.weights) : undefined,
      };
    }
    const r = await pretrain(cfg, runOptionsOf(a, 'pretrain'), resume);
    const lines = [
      `${r.status === 'done' ? 'finished' : 'interrupted'} at step ${r.step}/${cfg.steps} in ${formatDuration(r.seconds)} (trainer waited ${r.dataWait.toFixed(1)} s for data)`,
      `checkpoint: ${r.checkpoint}`,
      ...(r.status === 'done' ? [`ONNX: ${r.gvslOnnx} (GVSL inference), ${r.unetOnnx} (U-Net backbone)`] : [`resume with: onnx-train pretrain --resume ${r.dir}`]),
      `metrics: ${path.join(r.dir, 'metrics.jsonl')}, plots: ${path.join(r.dir, 'loss.png')} (and .svg; redraw or compare runs with onnx-train plot)`,
    ];
    process.stderr.write(lines.join('\n') + '\n');
    if (r.status === 'interrupted') process.exitCode = 130;
  },
});
