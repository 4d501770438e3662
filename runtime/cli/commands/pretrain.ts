import * as path from 'node:path';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { StateDict } from '../../../sdk/state';
import { GEOMETRIES } from '../../../graphs/gvsl';
import { samplePaths } from '../../data';
import { configGeometry } from '../../../graphs/gvsl';
import { type PretrainConfig, SAMPLE_DEFAULTS } from '../../pretrain/config';
import { formatDuration } from '../../engine/progress';
import { pretrain } from '../../pretrain/run';
import type { PairRegistration } from '../../pretrain/sample-pair';
import { discoverVolumes } from '../../pretrain/volumes';
import { UserError } from '../../engine/errors';
import { applyResumeOverrides, givenFlags, resumeCheckpoint } from '../resume';
import { type Command, defineCommand } from '../main';
import { MAX_BUFFER_OPTION, setMaxBufferMiB } from '../../engine/gpu-limits';
import { normalizeChoices, runOptionsOf, trainingRunOptions } from '../options';
import { compactSpacing, numberOption, RULES, sizeOption, spacingOption, widthsOption } from '../parse';
import { similarityOf, similarityOptions } from '../similarity';
import { sampleMaskDice, sampleMaskLine } from '../sample-masks';

/** The options of a pre-training run (shared by `pretrain` and `distributed prepare`). */
export const pretrainOptions = (y: Argv) =>
  similarityOptions(trainingRunOptions(y, 'pretrain'))
    .positional('data', {
      type: 'string',
      array: true,
      default: [],
      describe:
        '.nii/.nii.gz files, DICOM folders, folders holding them, nnU-Net raw dataset folders or datalist .json files',
    })
    .option('channel', {
      type: 'string',
      describe: 'multi-channel data (nnU-Net _0000, _0001…): the channel to train on, by name or index',
    })
    .option('size', sizeOption('size', { describe: 'crop D,H,W (or one number); default 64 (24 on the samples)' }))
    .option('batch', numberOption('batch', RULES.positiveInt, { default: 1, describe: 'pairs per step' }))
    .option(
      'chan',
      widthsOption('chan', {
        describe: 'U-Net widths c0..c8; default the official 32,…,32 (8,16,16,32,32,32,16,16,16 on the samples)',
      }),
    )
    .option('geometry', {
      choices: GEOMETRIES,
      describe:
        "exact (default): identity warps are exact, one (D,H,W) axis order, one fused sampling, zero-initialised flow; official: the official code's warps (and, unless --no-official-augment, its augmentation)",
    })
    .option(
      'lr',
      numberOption('lr', RULES.positive, {
        describe: 'Adam learning rate; default 1e-4 as the official code (1e-3 on the samples)',
      }),
    )
    .option(
      'steps',
      numberOption('steps', RULES.positiveInt, {
        describe: 'total optimizer steps; default 1000 (150 on the samples)',
      }),
    )
    .option('seed', numberOption('seed', RULES.seed, { default: 0 }))
    .option(
      'w-ncc',
      numberOption('w-ncc', RULES.nonNegative, {
        default: 1,
        describe: 'weight of the registration similarity loss (NCC unless --similarity says otherwise)',
      }),
    )
    .option(
      'w-mse',
      numberOption('w-mse', RULES.nonNegative, { default: 1, describe: 'weight of the MSE restoration loss' }),
    )
    .option(
      'w-smooth',
      numberOption('w-smooth', RULES.nonNegative, { default: 1, describe: 'weight of the flow smoothness loss' }),
    )
    .option('normalize', {
      choices: normalizeChoices,
      default: 'mr-percentile' as const,
      describe:
        'intensity preset: ct-official = clip [0,2048]/2048 (official GVSL), ct-hu = HU window, mr-percentile = 0.5–99.5 %',
    })
    .option(
      'spacing',
      spacingOption('spacing', {
        describe: 'resample to this spacing in mm, D,H,W or one number (default: keep; 6 on the samples)',
      }),
    )
    .option('weights', {
      type: 'string',
      describe: 'start from these weights (.safetensors or PyTorch .pth; full GVSL or backbone-only)',
    })
    .option('max-buffer-mib', { ...MAX_BUFFER_OPTION, ...numberOption('max-buffer-mib', RULES.positive) })
    .option('augment', {
      type: 'boolean',
      default: true,
      describe: 'appearance damage of A and the shared spatial augmentation (--no-augment turns both off)',
    })
    .option('official-augment', {
      type: 'boolean',
      describe:
        "reproduce the official code's augmentation quirks (default: on with --geometry official, off otherwise)",
    });

/** The arguments yargs infers from pretrainOptions. */
export type PretrainArgs = ArgumentsCamelCase<ReturnType<typeof pretrainOptions> extends Argv<infer T> ? T : never>;

/**
 * The run configuration the options ask for, or the resumed run's (with its checkpoint). `ownFlags` are flags
 * the caller handles itself, exempt from the resume rules (`distributed prepare --resume` writes a new run
 * folder and chooses its micro-batches).
 */
export function pretrainConfig(
  a: PretrainArgs,
  ownFlags: readonly string[] = [],
): { cfg: PretrainConfig; resume?: { state: StateDict; step: number } } {
  let cfg: PretrainConfig;
  let resume;
  if (a.resume) {
    const ck = resumeCheckpoint<PretrainConfig>(a.resume);
    // A resumed run keeps its geometry (the trained weights follow its conventions).
    const geometry = configGeometry(ck.meta.config);
    if (a.geometry && a.geometry !== geometry) {
      throw new UserError(
        `--resume ${a.resume}: the run was trained with --geometry ${geometry}; it cannot resume as ${a.geometry} (leave --geometry out)`,
      );
    }
    const given = new Set([...givenFlags()].filter((f) => !ownFlags.includes(f)));
    cfg = applyResumeOverrides({ ...ck.meta.config, geometry }, a, given, a.data.length ? ['data'] : []);
    resume = { state: ck.state, step: ck.meta.step };
  } else {
    const similarity = similarityOf(a); // checked before any data is read
    const samples = a.data.length === 0;
    const volumes = samples
      ? samplePaths()
      : discoverVolumes(a.data, { channel: a.channel, warn: (m) => process.stderr.write(`warning: ${m}\n`) });
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
      similarity,
      normalize: a.normalize,
      spacing: compactSpacing(a.spacing) ?? (samples ? SAMPLE_DEFAULTS.spacing : undefined),
      saveEvery: a.saveEvery,
      augment: { appearance: a.augment, spatial: a.augment },
      // The official geometry preset reproduces the official data too, unless asked otherwise.
      officialAugment: a.officialAugment ?? geometry === 'official',
      weights: a.weights ? path.resolve(a.weights) : undefined,
    };
  }
  return { cfg, resume };
}

/** The bundled samples registered by the trained model, against the identity. */
function samplePairLine(p: PairRegistration): string {
  const f = (x: number) => x.toFixed(4);
  return `registering ${p.moving} to ${p.fixed} (centre ${p.size.join('x')} crops): local NCC ${f(p.localNcc.identity)} (identity) -> ${f(p.localNcc.registered)} (trained), global NCC ${f(p.globalNcc.identity)} -> ${f(p.globalNcc.registered)}`;
}

export const pretrainCommand: Command = defineCommand({
  command: 'pretrain [data..]',
  describe: 'GVSL self-supervised pre-training on unlabelled volumes (default: the bundled brain MR samples)',
  builder: pretrainOptions,
  async handler(a) {
    setMaxBufferMiB(a.maxBufferMib);
    const { cfg, resume } = pretrainConfig(a);
    const opts = runOptionsOf(a, 'pretrain');
    const r = await pretrain(cfg, opts, resume);
    // The trained model registers the samples' brain masks as `register --labels` would (runtime/serve).
    const masks =
      r.samplePair && r.status === 'done'
        ? await sampleMaskDice(r.dir, cfg.volumes, { ep: opts.ep, threads: opts.threads })
        : undefined;
    const lines = [
      `${r.status === 'done' ? 'finished' : 'interrupted'} at step ${r.step}/${cfg.steps} in ${formatDuration(r.seconds)} (trainer waited ${r.dataWait.toFixed(1)} s for data)`,
      `checkpoint: ${r.checkpoint}`,
      ...(r.status === 'done'
        ? [`ONNX: ${r.gvslOnnx} (GVSL inference), ${r.unetOnnx} (U-Net backbone)`]
        : [`resume with: onnx-train pretrain --resume ${r.dir}`]),
      `metrics: ${path.join(r.dir, 'metrics.jsonl')}, plots: ${path.join(r.dir, 'loss.png')} (and .svg; redraw or compare runs with onnx-train plot)`,
      ...(r.samplePair ? [samplePairLine(r.samplePair)] : []),
      ...(masks ? [sampleMaskLine(masks)] : []),
    ];
    process.stderr.write(lines.join('\n') + '\n');
    if (r.status === 'interrupted') process.exitCode = 130;
  },
});
