import * as path from 'node:path';
import { SegNet } from '../../../graphs/seg';
import { OFFICIAL_WIDTHS, parseWidths } from '../../../graphs/unet';
import { Rng } from '../../../sdk/nn/rng';
import { type FinetuneConfig, FINETUNE_DEFAULTS, type LabelledPair } from '../../finetune/config';
import { pairFiles, stemOf } from '../../finetune/data';
import { caseId, type DatasetCase, pickChannel, readDataset } from '../../data/datasets';
import { finetune } from '../../finetune/run';
import { backboneWidths } from '../../finetune/weights';
import { formatDuration } from '../../engine/progress';
import { UserError } from '../../engine/errors';
import { applyResumeOverrides, givenFlags, resumeCheckpoint } from '../resume';
import { type Command, defineCommand } from '../main';
import { normalizeChoices, parseInput, runOptionsOf, trainingRunOptions } from '../options';
import { compactSpacing, numberOption, RULES, sizeOption, spacingOption, widthsOption } from '../parse';

/** The validation split: the images named by --val, else a seeded random --val-fraction of them (at least one). */
export function splitPairs(
  pairs: LabelledPair[],
  val: string[] | undefined,
  fraction: number,
  seed: number,
): { train: LabelledPair[]; val: LabelledPair[] } {
  if (val && val.length) {
    const wanted = new Set(val.map(stemOf));
    // An image's file name, or its case id (nnU-Net: without the _0000 channel suffix).
    const isWanted = (p: LabelledPair) => wanted.has(stemOf(p.image)) || wanted.has(caseId(p.image));
    const unknown = [...wanted].filter((s) => !pairs.some((p) => stemOf(p.image) === s || caseId(p.image) === s));
    if (unknown.length)
      throw new UserError(
        `--val ${unknown.join(', ')}: not among the images (${pairs.map((p) => path.basename(p.image)).join(', ')})`,
      );
    const split = { train: pairs.filter((p) => !isWanted(p)), val: pairs.filter(isWanted) };
    if (split.train.length === 0) throw new UserError('--val names every image: nothing is left to train on');
    return split;
  }
  if (!(fraction >= 0 && fraction < 1)) throw new UserError(`--val-fraction must be in [0, 1), got ${fraction}`);
  if (fraction === 0 || pairs.length < 2) return { train: pairs, val: [] };
  const n = Math.min(pairs.length - 1, Math.max(1, Math.round(fraction * pairs.length)));
  const order = pairs.map((_, i) => i);
  const rng = new Rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const picked = new Set(order.slice(0, n));
  return { train: pairs.filter((_, i) => !picked.has(i)), val: pairs.filter((_, i) => picked.has(i)) };
}

export const finetuneCommand: Command = defineCommand({
  command: 'finetune',
  describe:
    'Segmentation training on labelled volumes from a GVSL backbone: fine-tune every weight, or train only the head (--mode linear)',
  builder: (y) =>
    trainingRunOptions(y, 'finetune')
      .option('dataset', {
        type: 'string',
        describe:
          'an nnU-Net raw dataset folder (dataset.json, imagesTr, labelsTr) or a MONAI-style datalist .json (training/validation lists of {image, label}); instead of --images/--labels',
      })
      .option('base-dir', {
        type: 'string',
        describe: "folder the datalist's relative paths start from (default: the datalist's folder)",
      })
      .option('channel', {
        type: 'string',
        describe: 'multi-channel datasets: the channel to train on, by name (dataset.json channel_names) or index',
      })
      .option('images', { type: 'string', describe: 'folder of images (.nii/.nii.gz)' })
      .option('labels', {
        type: 'string',
        describe: "folder of label maps, same file names, on the images' voxel grids (values 0..classes-1)",
      })
      .option(
        'classes',
        numberOption(
          'classes',
          { int: true, min: 2 },
          {
            describe: 'number of classes, background included (default with --dataset: the labels dataset.json names)',
          },
        ),
      )
      .option('mode', {
        choices: ['finetune', 'linear'] as const,
        default: 'finetune' as const,
        describe: 'finetune: all weights train; linear: the backbone is frozen, only out_conv learns',
      })
      .option('weights', {
        type: 'string',
        describe:
          'backbone weights: a GVSL pre-training run folder or checkpoint, an official .pth, or a backbone state_dict (default: from scratch)',
      })
      .option('val', {
        type: 'string',
        array: true,
        describe: 'image file names (in --images) used for validation instead of a random split',
      })
      .option(
        'val-fraction',
        numberOption('val-fraction', RULES.fraction, {
          default: FINETUNE_DEFAULTS.valFraction,
          describe: 'fraction of the images held out for validation (seeded; 0 = none)',
        }),
      )
      .option(
        'val-every',
        numberOption('val-every', RULES.positiveInt, {
          default: FINETUNE_DEFAULTS.valEvery,
          describe: 'validate (per-class Dice, whole volumes) every N steps and at the end',
        }),
      )
      .option('size', sizeOption('size', { describe: 'crop D,H,W (or one number) = inference window; default 64' }))
      .option('batch', numberOption('batch', RULES.positiveInt, { default: 1, describe: 'crops per step' }))
      .option(
        'chan',
        widthsOption('chan', {
          describe: `U-Net widths c0..c8; default those of --weights, else ${OFFICIAL_WIDTHS.join(',')}`,
        }),
      )
      .option(
        'lr',
        numberOption('lr', RULES.positive, {
          default: FINETUNE_DEFAULTS.lr,
          describe: 'Adam learning rate (official: 1e-4)',
        }),
      )
      .option(
        'steps',
        numberOption('steps', RULES.positiveInt, {
          describe: `total optimizer steps (default ${FINETUNE_DEFAULTS.steps})`,
        }),
      )
      .option(
        'seed',
        numberOption('seed', RULES.seed, { default: 0, describe: 'head initialisation, validation split, crops' }),
      )
      .option(
        'ce-weight',
        numberOption('ce-weight', RULES.nonNegative, {
          default: 0,
          describe: 'add this weight × cross-entropy to the Dice loss',
        }),
      )
      .option('normalize', {
        choices: normalizeChoices,
        default: 'mr-percentile' as const,
        describe: 'intensity preset (as pretrain)',
      })
      .option(
        'spacing',
        spacingOption('spacing', { describe: 'resample to this spacing in mm, D,H,W or one number (default: keep)' }),
      )
      .option(
        'overlap',
        numberOption('overlap', RULES.fraction, {
          default: FINETUNE_DEFAULTS.overlap,
          describe: 'sliding-window overlap of the validation inference',
        }),
      ),
  async handler(a) {
    let cfg: FinetuneConfig;
    let resume;
    if (a.resume) {
      const ck = resumeCheckpoint<FinetuneConfig>(a.resume);
      if (typeof ck.meta.config.classes !== 'number')
        throw new UserError(`--resume ${a.resume}: not a segmentation run (use pretrain --resume)`);
      cfg = applyResumeOverrides(ck.meta.config, a, givenFlags());
      resume = { state: ck.state, step: ck.meta.step, extra: ck.meta.extra };
    } else {
      const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
      let pairs: LabelledPair[];
      let given: LabelledPair[] = [];
      let classes = a.classes;
      if (a.dataset) {
        if (a.images || a.labels) throw new UserError('give either --dataset or --images/--labels, not both');
        const ds = readDataset(a.dataset, { baseDir: a.baseDir, warn });
        const ch = pickChannel(ds, a.channel);
        const toPair = (c: DatasetCase): LabelledPair => ({ image: c.images[ch], label: c.label! });
        pairs = ds.training.map(toPair);
        given = ds.validation.map(toPair);
        if (pairs.length === 0) throw new UserError(`--dataset ${a.dataset}: no training cases`);
        const named = ds.labels ? Object.keys(ds.labels).length : undefined;
        if (classes === undefined) classes = named;
        else if (named !== undefined && named !== classes)
          warn(
            `--classes ${classes}, but ${a.dataset} names ${named} labels (${Object.values(ds.labels!).join(', ')})`,
          );
        if (classes === undefined)
          throw new UserError(
            `--dataset ${a.dataset}: the datalist does not name its labels: give --classes N (background included)`,
          );
      } else {
        if (!a.images || !a.labels || classes === undefined)
          throw new UserError(
            'finetune needs --dataset PATH, or --images DIR, --labels DIR and --classes N (or --resume DIR)',
          );
        pairs = parseInput(() => pairFiles(a.images!, a.labels!, warn));
      }
      if (!(Number.isInteger(classes) && classes >= 2))
        throw new UserError(`--classes counts the background too: an integer >= 2, got ${classes}`);
      // A datalist's own validation list wins over a random split.
      const split =
        given.length && !a.val?.length
          ? { train: pairs, val: given }
          : splitPairs([...pairs, ...given], a.val, a.valFraction, a.seed);
      const weights = a.weights ? path.resolve(a.weights) : undefined;
      const chan = a.chan ?? (weights ? backboneWidths(weights) : [...OFFICIAL_WIDTHS]);
      const k = classes;
      parseInput(() => new SegNet(k, parseWidths(chan)));
      cfg = {
        train: split.train,
        val: split.val,
        classes,
        mode: a.mode,
        size: a.size ?? [64, 64, 64],
        batch: a.batch,
        chan: [...chan],
        lr: a.lr,
        steps: a.steps ?? FINETUNE_DEFAULTS.steps,
        seed: a.seed,
        ceWeight: a.ceWeight,
        normalize: a.normalize,
        spacing: compactSpacing(a.spacing),
        saveEvery: a.saveEvery,
        valEvery: a.valEvery,
        overlap: a.overlap,
        weights,
      };
    }
    const r = await finetune(cfg, runOptionsOf(a, 'finetune'), resume);
    const score = r.bestScore
      ? `best validation Dice ${r.bestScore.dice.toFixed(4)} at step ${r.bestScore.step}`
      : 'no validation set: the last weights are kept';
    const lines = [
      `${r.status === 'done' ? 'finished' : 'interrupted'} at step ${r.step}/${cfg.steps} in ${formatDuration(r.seconds)}; ${score}`,
      `checkpoint: ${r.checkpoint}, best: ${r.best}`,
      ...(r.status === 'done'
        ? [`ONNX: ${r.segOnnx} (segment with: onnx-train segment --model ${r.segOnnx} IMAGE --out LABELS.nii.gz)`]
        : [`resume with: onnx-train finetune --resume ${r.dir}`]),
      `metrics: ${path.join(r.dir, 'metrics.jsonl')}, plots: ${path.join(r.dir, 'loss.png')}${cfg.val.length ? `, ${path.join(r.dir, 'dice.png')}` : ''} (and .svg; redraw or compare runs with onnx-train plot)`,
    ];
    process.stderr.write(lines.join('\n') + '\n');
    if (r.status === 'interrupted') process.exitCode = 130;
  },
});
