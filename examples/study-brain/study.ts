/**
 * Does GVSL pre-training help brain segmentation? One command, at any scale:
 *
 *   npx tsc -p . && node dist/examples/study-brain/study.js [--seeds 0,1] [--pretrain-steps 150] [--steps 100] [--tasks brain-mask,lobes] …
 *
 * For every seed: pre-train on the two bundled T1 head MRIs (unlabelled) twice, restoration only
 * (--w-ncc 0 --w-smooth 0) and full GVSL; then, for each task, train segmentation from scratch, from the
 * restoration-only backbone and from the GVSL backbone, each in linear mode (frozen backbone) and fine-tune mode,
 * with the same steps, learning rate and seed, and score `onnx-train segment` outputs with Dice.
 * `--inits` picks the backbones: scratch, restoration, gvsl (the official NCC) and gvsl-<loss> for GVSL pre-trained
 * with `--similarity <loss>` (gvsl-mi, gvsl-ssim, gvsl-mind, …: one row per similarity loss);
 * `--pretrained INIT=RUN,RUN,…` (repeatable, one run folder per seed in --seeds order) uses existing pre-training
 * runs for a backbone instead of pre-training it here. Tasks:
 * - brain-mask: trained on ch2 alone (ch2bet > 0), tested on the other subject (itk-t1-head) against its own brain
 *   mask on its native grid;
 * - lobes: ch2's AAL map merged into 6 lobes (lobes.ts), trained on ch2's left hemisphere (x < 0), tested on its
 *   right hemisphere mirrored about x = 0 (same orientation as training) and, as a second score, not mirrored.
 * Writes results.md (Dice mean ± standard deviation over seeds), results.json, curves.svg (brain-mask training
 * loss, mean over seeds) and curves-lobes.svg into --out. `--merge OUT,OUT,…` writes one results.md and
 * results.json from the results.json of earlier studies (e.g. one per backbone, run side by side) into --out.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readNifti, writeNifti } from '../../runtime/data';
import { samplesDir } from '../../runtime/data/samples';
import type { Volume } from '../../runtime/data/volume';
import { diceScores, finiteMean } from '../../runtime/finetune/dice';
import { formatDuration, lossPlotSvg, type MetricsLine, readMetrics } from '../../runtime/engine/progress';
import { hemispheres, LOBES, mirrorX } from './lobes';

const { values: a } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1' },
    'pretrain-steps': { type: 'string', default: '150' },
    'pretrain-lr': { type: 'string', default: '1e-3' },
    steps: { type: 'string', default: '100' },
    lr: { type: 'string', default: '1e-3' },
    size: { type: 'string', default: '32' },
    spacing: { type: 'string', default: '3' },
    chan: { type: 'string', default: '8,16,16,32,32,32,16,16,16' },
    tasks: { type: 'string', default: 'brain-mask,lobes' },
    inits: { type: 'string', default: 'scratch,restoration,gvsl' },
    modes: { type: 'string', default: 'linear,finetune' },
    ep: { type: 'string', default: 'cpu' },
    threads: { type: 'string' },
    pretrained: { type: 'string', multiple: true },
    merge: { type: 'string' },
    out: {
      type: 'string',
      default: path.join('runs', `study-brain-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`),
    },
  },
});

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const out = path.resolve(a.out!);
const seeds = a.seeds!.split(',').map(Number);
let inits = a.inits!.split(',') as Init[];
for (const i of inits)
  if (!/^(scratch|restoration|gvsl(-(ncc|ncc-global|mi|ssim|mse|mind))?)$/.test(i))
    throw new Error(`--inits: '${i}' is not scratch, restoration, gvsl or gvsl-<similarity> (gvsl-mi, gvsl-ssim, …)`);
/** Existing pre-training runs per backbone, one per seed (`--pretrained INIT=RUN,RUN,…`). */
const pretrained = new Map<string, string[]>(
  (a.pretrained ?? []).map((p) => {
    const [init, list] = [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1).split(',')];
    if (!inits.includes(init as Init) || init === 'scratch')
      throw new Error(`--pretrained ${p}: '${init}' is not a pre-trained backbone of --inits ${a.inits}`);
    if (list.length !== seeds.length)
      throw new Error(`--pretrained ${p}: give one run per seed (${seeds.length} for --seeds ${a.seeds})`);
    return [init, list.map((r) => path.resolve(r))];
  }),
);
let modes = a.modes!.split(',');
const TASKS = ['brain-mask', 'lobes'] as const;
type TaskName = (typeof TASKS)[number];
const taskNames = a.tasks!.split(',') as TaskName[];
for (const t of taskNames) if (!TASKS.includes(t)) throw new Error(`--tasks: '${t}' is not one of ${TASKS.join(', ')}`);
const samples = samplesDir();
const shared = [
  '--size',
  a.size!,
  '--spacing',
  a.spacing!,
  '--chan',
  a.chan!,
  '--ep',
  a.ep!,
  ...(a.threads ? ['--threads', a.threads] : []),
  '--quiet',
];

/** A backbone: none, restoration-only pre-training, or GVSL pre-training with one similarity loss (gvsl = NCC). */
type Init = 'scratch' | 'restoration' | 'gvsl' | `gvsl-${string}`;
/** The pre-training flags of a backbone. */
const pretrainFlags = (init: Init): string[] =>
  init === 'restoration'
    ? ['--w-ncc', '0', '--w-smooth', '0']
    : init.startsWith('gvsl-')
      ? ['--similarity', init.slice('gvsl-'.length)]
      : [];
/** The pre-training run of a backbone for the k-th seed. */
const backboneRun = (init: Init, seed: number): string =>
  pretrained.get(init)?.[seeds.indexOf(seed)] ?? path.join(out, `pretrain-${init}-s${seed}`);

/** A scored volume: `image` segmented, compared with `label` on the image's own grid. */
interface Scored {
  key: string;
  title: string;
  image: string;
  label: string;
}
/** One segmentation task: a training folder (images/, labels/) and the volumes scored after training. */
interface Task {
  name: TaskName;
  classes: number;
  classNames: readonly string[];
  trainDir: string;
  runPrefix: string;
  scored: Scored[];
}
interface Result {
  task: TaskName;
  init: Init;
  mode: string;
  seed: number;
  dice: Record<string, number[]>;
  loss: number;
  seconds: number;
}

function onnxTrain(args: string[]): void {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`onnx-train ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
}

/** Per-class Dice (classes 1..n−1) of `onnx-train segment` on `image` against `label`, both on the image's own grid. */
function segmentDice(model: string, s: Scored, classes: number, file: string): number[] {
  onnxTrain([
    'segment',
    s.image,
    '--model',
    model,
    '--out',
    file,
    '--ep',
    a.ep!,
    ...(a.threads ? ['--threads', a.threads] : []),
    '--quiet',
  ]);
  return diceScores(readNifti(file).data, readNifti(s.label).data, classes);
}

const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
const sd = (xs: number[]) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, v) => s + (v - mean(xs)) ** 2, 0) / (xs.length - 1));

/** Copies (or writes) one image + label pair into dir/images and dir/labels under `name`. */
function trainingPair(dir: string, name: string, image: string | Volume, label: string | Volume): void {
  for (const [sub, src] of [
    ['images', image],
    ['labels', label],
  ] as const) {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    const dst = path.join(dir, sub, name);
    if (typeof src === 'string') fs.copyFileSync(src, dst);
    else writeNifti(dst, src, { datatype: 'uint8', xformCode: 4, level: 9 });
  }
}

/** Brain mask: ch2 alone with its brain mask (data/samples/labels, see data/samples/README.md); test itk-t1-head. */
function brainMaskTask(): Task {
  const trainDir = path.join(out, 'train');
  trainingPair(
    trainDir,
    'ch2-2mm.nii.gz',
    path.join(samples, 'ch2-2mm.nii.gz'),
    path.join(samples, 'labels', 'ch2-2mm.nii.gz'),
  );
  const pair = (key: string, title: string, file: string) => ({
    key,
    title,
    image: path.join(samples, file),
    label: path.join(samples, 'labels', file),
  });
  return {
    name: 'brain-mask',
    classes: 2,
    classNames: ['background', 'brain'],
    trainDir,
    runPrefix: '',
    scored: [
      pair('test', 'test Dice (itk-t1-head)', 'itk-t1-head.nii.gz'),
      pair('train', 'train Dice (ch2)', 'ch2-2mm.nii.gz'),
    ],
  };
}

/**
 * Lobes: ch2 and its AAL lobe map cut at x = 0; training on the left half, scoring the right half mirrored about
 * x = 0 (a left-looking hemisphere: the task as trained, on the other hemisphere's anatomy) and as it is (flipped
 * anatomy: fine-tuning has no flip augmentation), and the left half itself (training fit).
 */
function lobesTask(): Task {
  const dir = path.join(out, 'lobes');
  const image = hemispheres(readNifti(path.join(samples, 'ch2-2mm.nii.gz')));
  const label = hemispheres(readNifti(path.join(samples, 'labels', 'ch2-2mm-lobes.nii.gz')));
  const trainDir = path.join(dir, 'train');
  trainingPair(trainDir, 'ch2-left.nii.gz', image.left, label.left);
  trainingPair(dir, 'ch2-right-mirrored.nii.gz', mirrorX(image.right), mirrorX(label.right));
  trainingPair(dir, 'ch2-right.nii.gz', image.right, label.right);
  const pair = (key: string, title: string, d: string, file: string) => ({
    key,
    title,
    image: path.join(d, 'images', file),
    label: path.join(d, 'labels', file),
  });
  return {
    name: 'lobes',
    classes: LOBES.length,
    classNames: LOBES,
    trainDir,
    runPrefix: 'lobes-',
    scored: [
      pair('test', 'test: right, mirrored', dir, 'ch2-right-mirrored.nii.gz'),
      pair('flipped', 'test: right, not mirrored', dir, 'ch2-right.nii.gz'),
      pair('train', 'train fit: left', trainDir, 'ch2-left.nii.gz'),
    ],
  };
}

function main(): void {
  const t0 = performance.now();
  fs.mkdirSync(out, { recursive: true });
  const tasks = taskNames.map((t) => (t === 'brain-mask' ? brainMaskTask() : lobesTask()));
  const results: Result[] = [];
  const total = seeds.length * inits.length * modes.length * tasks.length;
  for (const seed of seeds) {
    for (const init of inits) {
      if (init === 'scratch' || pretrained.has(init)) continue;
      const dir = backboneRun(init, seed);
      const t = performance.now();
      onnxTrain([
        'pretrain',
        ...shared,
        '--steps',
        a['pretrain-steps']!,
        '--lr',
        a['pretrain-lr']!,
        '--seed',
        String(seed),
        ...pretrainFlags(init),
        '--out',
        dir,
      ]);
      log(`pre-training ${init}, seed ${seed}: ${formatDuration((performance.now() - t) / 1000)}`);
    }
    for (const task of tasks)
      for (const init of inits)
        for (const mode of modes) {
          const t = performance.now();
          const dir = path.join(out, `${task.runPrefix}${init}-${mode}-s${seed}`);
          const weights = init === 'scratch' ? [] : ['--weights', backboneRun(init, seed)];
          onnxTrain([
            'finetune',
            '--images',
            path.join(task.trainDir, 'images'),
            '--labels',
            path.join(task.trainDir, 'labels'),
            '--classes',
            String(task.classes),
            '--mode',
            mode,
            ...weights,
            ...shared,
            '--steps',
            a.steps!,
            '--lr',
            a.lr!,
            '--seed',
            String(seed),
            '--val-fraction',
            '0',
            '--out',
            dir,
          ]);
          const dice: Record<string, number[]> = {};
          for (const s of task.scored)
            dice[s.key] = segmentDice(dir, s, task.classes, path.join(dir, `${s.key}-seg.nii.gz`));
          const loss = mean(
            readMetrics(path.join(dir, 'metrics.jsonl'))
              .slice(-10)
              .map((l) => l.loss),
          );
          const seconds = (performance.now() - t) / 1000;
          results.push({ task: task.name, init, mode, seed, dice, loss, seconds });
          const scores = task.scored.map((s) => `${s.key} ${finiteMean(dice[s.key]).toFixed(4)}`).join(', ');
          log(
            `[${results.length}/${total}] ${task.name} ${init} ${mode}, seed ${seed}: Dice ${scores}, final loss ${loss.toFixed(4)} (${formatDuration(seconds)})`,
          );
        }
  }
  const seconds = (performance.now() - t0) / 1000;
  const md = report(tasks, results, [sizesLine(seconds)]);
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ args: a, results, seconds }, null, 2) + '\n');
  fs.writeFileSync(path.join(out, 'results.md'), md);
  for (const task of tasks)
    fs.writeFileSync(
      path.join(out, task.name === 'brain-mask' ? 'curves.svg' : `curves-${task.name}.svg`),
      curves(task),
    );
  process.stdout.write(md);
  log(
    `results: ${path.join(out, 'results.md')}, curves: ${tasks.map((t) => (t.name === 'brain-mask' ? 'curves.svg' : `curves-${t.name}.svg`)).join(', ')}`,
  );
}

function log(m: string): void {
  process.stderr.write(`${m}\n`);
}

const fmt = (xs: number[]) =>
  xs.some((x) => !Number.isFinite(x))
    ? `${fmtFinite(xs)} (${xs.filter((x) => !Number.isFinite(x)).length} without a score)`
    : fmtFinite(xs);
const fmtFinite = (xs: number[]) => {
  const ok = xs.filter(Number.isFinite);
  return ok.length ? `${mean(ok).toFixed(3)} ± ${sd(ok).toFixed(3)}` : '–';
};

/** The study's command and sizes, for the report. */
function sizesLine(seconds: number): string {
  return [
    `Command: \`node dist/examples/study-brain/study.js ${process.argv.slice(2).join(' ')}\``,
    `Sizes: widths ${a.chan}, crops/window ${a.size}³ at ${a.spacing} mm; pre-training ${a['pretrain-steps']} steps (lr ${a['pretrain-lr']}) on both subjects unlabelled; segmentation ${a.steps} steps (lr ${a.lr}, Dice loss, batch 1); seeds ${seeds.join(',')}; ${formatDuration(seconds)} in all (ep ${a.ep}).`,
    ...[...pretrained].map(
      ([init, runs]) => `Backbone ${init}: the pre-training runs ${runs.join(', ')} (seeds in order).`,
    ),
  ].join('\n');
}

/** One report from the results.json of several studies (`--merge`): their backbones and modes, in order. */
function merge(dirs: string[]): void {
  fs.mkdirSync(out, { recursive: true });
  const parts = dirs.map(
    (d) => JSON.parse(fs.readFileSync(path.join(d, 'results.json'), 'utf8')) as { results: Result[]; seconds: number },
  );
  const results = parts.flatMap((p) => p.results);
  inits = [...new Set(results.map((r) => r.init))];
  modes = [...new Set(results.map((r) => r.mode))];
  const tasks = taskNames
    .filter((t) => results.some((r) => r.task === t))
    .map((t) => (t === 'brain-mask' ? brainMaskTask() : lobesTask()));
  const sizes = dirs.map((d) => fs.readFileSync(path.join(d, 'results.md'), 'utf8').split('\n\n')[0]);
  const md = report(tasks, results, [
    `Merged from ${dirs.length} studies:`,
    '',
    ...sizes.map((s) => `- ${s.replace(/\n/g, ' ')}`),
  ]);
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ merged: dirs, results }, null, 2) + '\n');
  fs.writeFileSync(path.join(out, 'results.md'), md);
  process.stdout.write(md);
}

function report(tasks: Task[], results: Result[], header: string[]): string {
  const lines = [...header, ''];
  for (const task of tasks) {
    const rs = results.filter((r) => r.task === task.name);
    const runTime = formatDuration(rs.reduce((s, r) => s + r.seconds, 0));
    const rows = (cell: (r: Result[]) => string[]) =>
      inits.flatMap((init) =>
        modes.flatMap((mode) => {
          const r = rs.filter((x) => x.init === init && x.mode === mode);
          return r.length ? [`| ${init} | ${mode} | ${cell(r).join(' | ')} |`] : []; // merged studies may lack some
        }),
      );
    if (task.name === 'brain-mask') {
      lines.push(
        `### Brain mask: trained on ch2 (ch2bet > 0), tested on itk-t1-head (its skull-strip mask); Dice mean ± sd over seeds (segmentation runs: ${runTime})`,
        '',
        `| backbone | mode | ${task.scored.map((s) => s.title).join(' | ')} | final loss |`,
        `|---|---|${task.scored.map(() => '---|').join('')}---|`,
        ...rows((r) => [...task.scored.map((s) => fmt(r.map((x) => x.dice[s.key][0]))), fmt(r.map((x) => x.loss))]),
        '',
      );
    } else {
      const fg = task.classNames.slice(1);
      lines.push(
        `### Lobes: AAL merged into ${fg.length} lobes, trained on ch2's left hemisphere, tested on its right (segmentation runs: ${runTime})`,
        '',
        'Mean foreground Dice (mean over the lobes with a score, then mean ± sd over seeds):',
        '',
        `| backbone | mode | ${task.scored.map((s) => s.title).join(' | ')} | final loss |`,
        `|---|---|${task.scored.map(() => '---|').join('')}---|`,
        ...rows((r) => [
          ...task.scored.map((s) => fmt(r.map((x) => finiteMean(x.dice[s.key])))),
          fmt(r.map((x) => x.loss)),
        ]),
        '',
        `Per-lobe Dice, ${task.scored[0].title}:`,
        '',
        `| backbone | mode | ${fg.join(' | ')} |`,
        `|---|---|${fg.map(() => '---|').join('')}`,
        ...rows((r) => fg.map((_, c) => fmt(r.map((x) => x.dice[task.scored[0].key][c])))),
        '',
      );
    }
  }
  return lines.join('\n');
}

/** Training loss (Dice loss) per configuration, mean over seeds, smoothed over 10 steps. */
function curves(task: Task): string {
  const terms: string[] = [];
  const byStep = new Map<number, MetricsLine>();
  for (const init of inits)
    for (const mode of modes) {
      const term = `${init} ${mode}`;
      terms.push(term);
      const runs = seeds.map((s) =>
        readMetrics(path.join(out, `${task.runPrefix}${init}-${mode}-s${s}`, 'metrics.jsonl')).map((l) => l.loss),
      );
      runs[0].forEach((_, i) => {
        const lo = Math.max(0, i - 9);
        const v = mean(runs.map((r) => mean(r.slice(lo, i + 1))));
        const line = byStep.get(i + 1) ?? { step: i + 1, time: 0, lr: 0 };
        line[term] = v;
        byStep.set(i + 1, line);
      });
    }
  return lossPlotSvg([...byStep.values()], terms);
}

if (a.merge) merge(a.merge.split(','));
else main();
