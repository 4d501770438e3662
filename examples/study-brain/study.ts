/**
 * Does GVSL pre-training help brain-mask segmentation? One command, at any scale:
 *
 *   npx tsc -p . && node dist/examples/study-brain/study.js [--seeds 0,1] [--pretrain-steps 150] [--steps 100] …
 *
 * For every seed: pre-train on the two bundled T1 head MRIs (unlabelled) twice, restoration only
 * (--w-ncc 0 --w-smooth 0) and full GVSL; then train brain-mask segmentation on ch2 alone (ch2bet > 0) from
 * scratch, from the restoration-only backbone and from the GVSL backbone, each in linear mode (frozen backbone)
 * and fine-tune mode, with the same steps, learning rate and seed; segment the other subject (itk-t1-head) with
 * `onnx-train segment` and score it against its own brain mask on its native grid. Writes results.md (Dice mean
 * ± standard deviation over seeds), results.json and curves.svg (training loss, mean over seeds) into --out.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readNifti } from '../../runtime/data';
import { samplesDir } from '../../runtime/data/samples';
import { diceScores } from '../../runtime/finetune/dice';
import { formatDuration, lossPlotSvg, type MetricsLine, readMetrics } from '../../runtime/pretrain/progress';

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
    inits: { type: 'string', default: 'scratch,restoration,gvsl' },
    modes: { type: 'string', default: 'linear,finetune' },
    ep: { type: 'string', default: 'cpu' },
    threads: { type: 'string' },
    out: { type: 'string', default: path.join('runs', `study-brain-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`) },
  },
});

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const out = path.resolve(a.out!);
const seeds = a.seeds!.split(',').map(Number);
const inits = a.inits!.split(',') as Init[];
const modes = a.modes!.split(',');
const samples = samplesDir();
const TRAIN = 'ch2-2mm.nii.gz';
const TEST = 'itk-t1-head.nii.gz';
const shared = ['--size', a.size!, '--spacing', a.spacing!, '--chan', a.chan!, '--ep', a.ep!, ...(a.threads ? ['--threads', a.threads] : []), '--quiet'];

type Init = 'scratch' | 'restoration' | 'gvsl';
const PRETRAIN: Record<Exclude<Init, 'scratch'>, string[]> = { restoration: ['--w-ncc', '0', '--w-smooth', '0'], gvsl: [] };

function onnxTrain(args: string[]): void {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`onnx-train ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
}

/** Dice of `onnx-train segment` on `image` against `mask`, both on the image's own grid. */
function segmentDice(model: string, image: string, mask: string, file: string): number {
  onnxTrain(['segment', image, '--model', model, '--out', file, '--ep', a.ep!, ...(a.threads ? ['--threads', a.threads] : []), '--quiet']);
  return diceScores(readNifti(file).data, readNifti(mask).data, 2)[0];
}

const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, v) => s + (v - mean(xs)) ** 2, 0) / (xs.length - 1)));

function main(): void {
  const t0 = performance.now();
  fs.mkdirSync(out, { recursive: true });
  // Training data: ch2 alone, with its brain mask (data/samples/labels, see data/samples/README.md).
  const images = path.join(out, 'train', 'images');
  const labels = path.join(out, 'train', 'labels');
  fs.mkdirSync(images, { recursive: true });
  fs.mkdirSync(labels, { recursive: true });
  fs.copyFileSync(path.join(samples, TRAIN), path.join(images, TRAIN));
  fs.copyFileSync(path.join(samples, 'labels', TRAIN), path.join(labels, TRAIN));

  const results: { init: Init; mode: string; seed: number; test: number; train: number; loss: number; seconds: number }[] = [];
  const total = seeds.length * inits.length * modes.length;
  for (const seed of seeds) {
    for (const init of inits) {
      if (init === 'scratch') continue;
      const dir = path.join(out, `pretrain-${init}-s${seed}`);
      const t = performance.now();
      onnxTrain(['pretrain', ...shared, '--steps', a['pretrain-steps']!, '--lr', a['pretrain-lr']!, '--seed', String(seed), ...PRETRAIN[init], '--out', dir]);
      log(`pre-training ${init}, seed ${seed}: ${formatDuration((performance.now() - t) / 1000)}`);
    }
    for (const init of inits) for (const mode of modes) {
      const t = performance.now();
      const dir = path.join(out, `${init}-${mode}-s${seed}`);
      const weights = init === 'scratch' ? [] : ['--weights', path.join(out, `pretrain-${init}-s${seed}`)];
      onnxTrain(['finetune', '--images', images, '--labels', labels, '--classes', '2', '--mode', mode, ...weights, ...shared,
        '--steps', a.steps!, '--lr', a.lr!, '--seed', String(seed), '--val-fraction', '0', '--out', dir]);
      const test = segmentDice(dir, path.join(samples, TEST), path.join(samples, 'labels', TEST), path.join(dir, 'itk-t1-head-seg.nii.gz'));
      const train = segmentDice(dir, path.join(samples, TRAIN), path.join(samples, 'labels', TRAIN), path.join(dir, 'ch2-seg.nii.gz'));
      const loss = mean(readMetrics(path.join(dir, 'metrics.jsonl')).slice(-10).map((l) => l.loss));
      const seconds = (performance.now() - t) / 1000;
      results.push({ init, mode, seed, test, train, loss, seconds });
      log(`[${results.length}/${total}] ${init} ${mode}, seed ${seed}: test Dice ${test.toFixed(4)}, train Dice ${train.toFixed(4)}, final loss ${loss.toFixed(4)} (${formatDuration(seconds)})`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ args: a, results, seconds }, null, 2) + '\n');
  fs.writeFileSync(path.join(out, 'results.md'), table(results, seconds));
  fs.writeFileSync(path.join(out, 'curves.svg'), curves());
  process.stdout.write(table(results, seconds));
  log(`results: ${path.join(out, 'results.md')}, curves: ${path.join(out, 'curves.svg')}`);
}

function log(m: string): void {
  process.stderr.write(`${m}\n`);
}

function table(results: { init: Init; mode: string; test: number; train: number; loss: number }[], seconds: number): string {
  const fmt = (xs: number[]) => `${mean(xs).toFixed(3)} ± ${sd(xs).toFixed(3)}`;
  const rows = inits.flatMap((init) => modes.map((mode) => {
    const r = results.filter((x) => x.init === init && x.mode === mode);
    return `| ${init} | ${mode} | ${fmt(r.map((x) => x.test))} | ${fmt(r.map((x) => x.train))} | ${fmt(r.map((x) => x.loss))} |`;
  }));
  return [
    `Brain-mask segmentation, trained on ch2 (ch2bet > 0), tested on itk-t1-head (its skull-strip mask), Dice mean ± sd over seeds ${seeds.join(',')}.`,
    '',
    `Command: \`node dist/examples/study-brain/study.js ${process.argv.slice(2).join(' ')}\``,
    `Sizes: widths ${a.chan}, crops/window ${a.size}³ at ${a.spacing} mm; pre-training ${a['pretrain-steps']} steps (lr ${a['pretrain-lr']}) on both subjects unlabelled; segmentation ${a.steps} steps (lr ${a.lr}, Dice loss, batch 1); ${formatDuration(seconds)} in all (ep ${a.ep}).`,
    '',
    '| backbone | mode | test Dice (itk-t1-head) | train Dice (ch2) | final loss |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** Training loss (Dice loss) per configuration, mean over seeds, smoothed over 10 steps. */
function curves(): string {
  const terms: string[] = [];
  const byStep = new Map<number, MetricsLine>();
  for (const init of inits) for (const mode of modes) {
    const term = `${init} ${mode}`;
    terms.push(term);
    const runs = seeds.map((s) => readMetrics(path.join(out, `${init}-${mode}-s${s}`, 'metrics.jsonl')).map((l) => l.loss));
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

main();
