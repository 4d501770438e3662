/**
 * Registration quality of pre-trained GVSL models on the bundled head MRIs, measured as registration papers do
 * (runtime/serve/metrics.ts): Dice of the warped moving labels before (the model's identity) and after, the share
 * of folding voxels, NCC of the pair on the model grid.
 *
 *   npx tsc -p . && node dist/examples/study-brain/registration.js --models ncc=RUN0,RUN1,RUN2 [--models mi=…] [--size 64] [--out DIR]
 *
 * Each `--models NAME=RUN,RUN,…` is a group (e.g. one loss, several seeds); results give every run and each group's
 * mean ± standard deviation. Pairs:
 * - `itk->ch2`: fixed ch2-2mm, moving itk-t1-head (two subjects), labels: their brain masks;
 * - `ch2->itk`: the same pair the other way round;
 * - `ch2-affine`: fixed ch2-2mm, moving ch2-2mm under a known affine (10° about the S axis, scaled 1.06 along A,
 *   shifted (8, −6, 4) mm), labels: ch2's 6 lobes moved with it (nearest neighbour). A perfect registration gives
 *   Dice near 1 (less the nearest-neighbour resampling of the moving labels).
 * Writes results.md and results.json into --out (default runs/study-registration-<date>).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { apply4, invertAffine, mul4, type Mat4 } from '../../runtime/data/affine';
import { readNifti } from '../../runtime/data';
import { samplesDir } from '../../runtime/data/samples';
import type { Volume } from '../../runtime/data/volume';
import { resampleOnto } from '../../runtime/serve/grid';
import { affineVoxelMap } from '../../runtime/serve/mapping';
import type { RegistrationResult } from '../../runtime/serve/pipeline';
import { checkLabelMap, registrationMetrics, type RegistrationMetrics } from '../../runtime/serve/metrics';
import { loadModel } from '../../runtime/serve/model';

const { values: a } = parseArgs({
  options: {
    models: { type: 'string', multiple: true },
    out: {
      type: 'string',
      default: path.join('runs', `study-registration-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`),
    },
    threads: { type: 'string' },
    // The model grid (one number; a graph is built from the run's weights): default the run's own (its crop size).
    size: { type: 'string' },
  },
});
if (!a.models?.length) throw new Error('give --models NAME=RUN[,RUN…] (one or more groups of model folders or files)');
const groups = a.models.map((g) => {
  const [name, list] = g.includes('=') ? [g.slice(0, g.indexOf('=')), g.slice(g.indexOf('=') + 1)] : [g, g];
  return { name, runs: list.split(',') };
});

interface Pair {
  name: string;
  fixed: Volume;
  moving: Volume;
  labels: { fixed: Volume; moving: Volume };
  /** The true transform (fixed world → moving world), when known. */
  truth?: Mat4;
}

function pairs(): Pair[] {
  const dir = samplesDir();
  const ch2 = readNifti(path.join(dir, 'ch2-2mm.nii.gz'));
  const itk = readNifti(path.join(dir, 'itk-t1-head.nii.gz'));
  const ch2Mask = readNifti(path.join(dir, 'labels', 'ch2-2mm.nii.gz'));
  const itkMask = readNifti(path.join(dir, 'labels', 'itk-t1-head.nii.gz'));
  const lobes = readNifti(path.join(dir, 'labels', 'ch2-2mm-lobes.nii.gz'));
  // moving(y) = ch2(B·y): the correct transform (fixed → moving) is B⁻¹.
  const [c, s] = [Math.cos((10 * Math.PI) / 180), Math.sin((10 * Math.PI) / 180)];
  const B = mul4(
    [c, -s, 0, 8, s, c, 0, -6, 0, 0, 1, 4, 0, 0, 0, 1],
    [1, 0, 0, 0, 0, 1.06, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  );
  const moved = (v: Volume, mode: 'linear' | 'nearest'): Volume => ({
    ...resampleOnto(v, v.dims, mul4(B, v.affine), { mode }),
    affine: [...v.affine],
    spacing: [...v.spacing],
    name: `${v.name} (known affine)`,
  });
  const list: Pair[] = [
    { name: 'itk->ch2', fixed: ch2, moving: itk, labels: { fixed: ch2Mask, moving: itkMask } },
    { name: 'ch2->itk', fixed: itk, moving: ch2, labels: { fixed: itkMask, moving: ch2Mask } },
    {
      name: 'ch2-affine',
      fixed: ch2,
      moving: moved(ch2, 'linear'),
      labels: { fixed: lobes, moving: moved(lobes, 'nearest') },
      truth: invertAffine(B),
    },
  ];
  for (const p of list) {
    checkLabelMap(p.labels.fixed, p.fixed, `${p.name} fixed labels`, 'the fixed image');
    checkLabelMap(p.labels.moving, p.moving, `${p.name} moving labels`, 'the moving image');
  }
  return list;
}

interface Row {
  group: string;
  run: string;
  pair: string;
  metrics: RegistrationMetrics;
  /** The predicted affine part against the model's identity: |M − I| (Frobenius) and how far it moves the grid centre (mm). */
  affine: { linear: number; centreMm: number };
  /** The same against the true transform, when known. */
  error?: { linear: number; centreMm: number };
}

/** |M − M'| (Frobenius, 3x3) and |M·c − M'·c| in mm (c the grid centre) of two voxel maps of the fixed model grid. */
function deviation(r: RegistrationResult, m: Mat4, ref: Mat4): { linear: number; centreMm: number } {
  const [D, H, W] = r.model.fixed.dims;
  const c = [(W - 1) / 2, (H - 1) / 2, (D - 1) / 2];
  let linear = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) linear += (m[i * 4 + j] - ref[i * 4 + j]) ** 2;
  const [p, q] = [apply4(m, c), apply4(ref, c)];
  const mm = r.model.fixed.spacing[0]; // the model grid is isotropic
  return { linear: Math.sqrt(linear), centreMm: mm * Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]) };
}

async function main(): Promise<void> {
  const out = path.resolve(a.out!);
  fs.mkdirSync(out, { recursive: true });
  const list = pairs();
  const rows: Row[] = [];
  for (const g of groups)
    for (const run of g.runs) {
      const model = await loadModel(run, {
        threads: a.threads ? Number(a.threads) : undefined,
        size: a.size ? Number(a.size) : undefined,
      });
      try {
        for (const p of list) {
          const r = await model.register(p.fixed, p.moving, { warpOriginal: false });
          const { metrics } = registrationMetrics(r, p.fixed, p.labels);
          // Voxel maps fixed model grid → moving model grid: predicted, identity, and the truth when known.
          const predicted = affineVoxelMap(r.affine, r.model.fixed.dims, r.geometry);
          const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
          const truth = p.truth && mul4(invertAffine(r.model.moving.affine), mul4(p.truth, r.model.fixed.affine));
          rows.push({
            group: g.name,
            run,
            pair: p.name,
            metrics,
            affine: deviation(r, predicted, identity),
            error: truth && deviation(r, predicted, truth),
          });
          const d = metrics.dice!;
          console.log(
            `${g.name} ${run} ${p.name}: Dice ${d.before.mean.toFixed(4)} -> ${d.after.mean.toFixed(4)}, NCC ${metrics.similarity.before.ncc.toFixed(4)} -> ${metrics.similarity.after.ncc.toFixed(4)}, folding ${metrics.jacobian.percentNonPositive.toFixed(3)}%`,
          );
        }
      } finally {
        await model.release();
      }
    }
  fs.writeFileSync(
    path.join(out, 'results.json'),
    JSON.stringify(rows, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n',
  );
  fs.writeFileSync(path.join(out, 'results.md'), table(rows));
  console.log(`wrote ${path.join(out, 'results.md')} and results.json`);
}

const meanSd = (v: number[]) => {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1)) : 0;
  if (Number.isNaN(m)) return '–';
  return v.length > 1 ? `${m.toFixed(4)} ± ${sd.toFixed(4)}` : m.toFixed(4);
};

function table(rows: Row[]): string {
  const cols: [string, (r: Row) => number][] = [
    ['Dice before', (r) => r.metrics.dice!.before.mean],
    ['Dice after', (r) => r.metrics.dice!.after.mean],
    ['NCC before', (r) => r.metrics.similarity.before.ncc],
    ['NCC after', (r) => r.metrics.similarity.after.ncc],
    ['local NCC before', (r) => r.metrics.similarity.before.localNcc],
    ['local NCC after', (r) => r.metrics.similarity.after.localNcc],
    ['% det J ≤ 0', (r) => r.metrics.jacobian.percentNonPositive],
    ['affine: \\|M − I\\|', (r) => r.affine.linear],
    ['affine: centre moved (mm)', (r) => r.affine.centreMm],
    ['vs truth: \\|M − M*\\|', (r) => r.error?.linear ?? NaN],
    ['vs truth: centre (mm)', (r) => r.error?.centreMm ?? NaN],
  ];
  const head = `| group | pair | runs | ${cols.map((c) => c[0]).join(' | ')} |\n|${'---|'.repeat(cols.length + 3)}\n`;
  const keys = [...new Set(rows.map((r) => `${r.group}\t${r.pair}`))];
  const groupRows = keys.map((k) => {
    const rs = rows.filter((r) => `${r.group}\t${r.pair}` === k);
    return `| ${rs[0].group} | ${rs[0].pair} | ${rs.length} | ${cols.map(([, f]) => meanSd(rs.map(f))).join(' | ')} |`;
  });
  const runRows = rows.map(
    (r) =>
      `| ${r.group} | ${r.pair} | ${path.basename(r.run)} | ${cols.map(([, f]) => (Number.isNaN(f(r)) ? '–' : f(r).toFixed(4))).join(' | ')} |`,
  );
  return `# Registration quality\n\nMean ± standard deviation over the runs of each group:\n\n${head}${groupRows.join('\n')}\n\nEvery run:\n\n${head}${runRows.join('\n')}\n`;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
