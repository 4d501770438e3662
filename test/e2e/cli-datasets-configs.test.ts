/**
 * (Slow tier: CLI runs that train.)
 * The conventions users bring, through the compiled CLI: an nnU-Net v2 raw dataset and a MONAI datalist for
 * finetune, segment (a folder in, a folder out, with previews) and pretrain; --config files (JSON and YAML,
 * flags win) and re-running a run from its config.json (also for distributed prepare); onnx-train plot.
 * The parse-time checks of the flags are in test/cli/flag-values.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { makePhantom, readNifti, type Volume, writeNifti } from '../../runtime/data';
import { ROOT, runCli as cli, type CliResult } from '../helpers/cli';

const CHAN = '8,8,8,8,16,8,8,8,16';
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'datasets-cli-'));
const blobLabels = (v: Volume): Volume => ({ ...v, data: v.data.map((x) => (x > 0.37 ? 1 : 0)) });
const config = (dir: string) =>
  JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;

function oneLine(r: CliResult, re: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(re);
}

/** nnU-Net raw dataset Dataset001_Blobs: 3 training cases, 1 test case, 16³ phantoms with MNI codes. */
function nnunetDataset(): string {
  const dir = path.join(tmp(), 'Dataset001_Blobs');
  for (const sub of ['imagesTr', 'labelsTr', 'imagesTs']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  for (let i = 0; i < 4; i++) {
    const v = makePhantom({ dims: [16, 16, 16], seed: i });
    const id = `blob_${String(i).padStart(3, '0')}`;
    const test = i === 3;
    writeNifti(path.join(dir, test ? 'imagesTs' : 'imagesTr', `${id}_0000.nii.gz`), v, { xformCode: 4 });
    if (!test)
      writeNifti(path.join(dir, 'labelsTr', `${id}.nii.gz`), blobLabels(v), { datatype: 'uint8', xformCode: 4 });
  }
  fs.writeFileSync(
    path.join(dir, 'dataset.json'),
    JSON.stringify(
      { channel_names: { 0: 'MR' }, labels: { background: 0, blob: 1 }, numTraining: 3, file_ending: '.nii.gz' },
      null,
      2,
    ),
  );
  return dir;
}

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'cli', 'index.js')))
    throw new Error('run `npm run build` first (npm test does)');
});

test('nnU-Net dataset: finetune (classes from dataset.json), segment imagesTs into a folder with previews, plot', async () => {
  const ds = nnunetDataset();
  const out = tmp();
  const r = await cli([
    'finetune',
    '--dataset',
    ds,
    '--size',
    '16',
    '--chan',
    CHAN,
    '--steps',
    '4',
    '--val-every',
    '2',
    '--val-fraction',
    '0.34',
    '--quiet',
    '--out',
    out,
  ]);
  expect(r.stderr).not.toMatch(/Error|\n\s+at /);
  expect(r.code).toBe(0);
  const cfg = config(out) as { classes: number; train: { image: string }[]; val: { image: string }[] };
  expect(cfg.classes).toBe(2);
  expect([...cfg.train, ...cfg.val].map((p) => path.basename(p.image)).sort()).toEqual([
    'blob_000_0000.nii.gz',
    'blob_001_0000.nii.gz',
    'blob_002_0000.nii.gz',
  ]);
  for (const f of ['loss.svg', 'loss.png', 'dice.svg', 'dice.png']) expect(fs.existsSync(path.join(out, f))).toBe(true);
  // segment: the dataset's imagesTs → <case>.nii.gz (nnU-Net naming), codes kept, one preview per case.
  const labels = path.join(tmp(), 'pred');
  const previews = path.join(tmp(), 'png');
  const s = await cli(['segment', ds, '--model', path.join(out, 'seg.onnx'), '--out', labels, '--preview', previews]);
  expect(s.code).toBe(0);
  expect(fs.readdirSync(labels)).toEqual(['blob_003.nii.gz']);
  const lab = readNifti(path.join(labels, 'blob_003.nii.gz'));
  expect(lab.dims).toEqual([16, 16, 16]);
  expect([lab.nifti!.qformCode, lab.nifti!.sformCode]).toEqual([4, 4]);
  const png = PNG.sync.read(fs.readFileSync(path.join(previews, 'blob_003.png')));
  expect(png.width).toBeGreaterThan(600);
  // A single output file for a folder is refused before any work.
  oneLine(
    await cli(['segment', ds, '--model', path.join(out, 'seg.onnx'), '--out', path.join(labels, 'x.nii.gz')]),
    /--out .*x\.nii\.gz: .* holds several images: give a folder/,
  );
  // plot: redraw, and compare two runs in one PNG.
  const p = await cli(['plot', out, out, '--out', path.join(out, 'cmp.png')]);
  expect(p.code).toBe(0);
  expect(PNG.sync.read(fs.readFileSync(path.join(out, 'cmp.png'))).height).toBeGreaterThan(200);
}, 240_000);

test('datalist JSON for finetune with its own validation list; --config YAML with flags winning; a run re-run from config.json', async () => {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, 'data'));
  const entries = [0, 1, 2].map((i) => {
    const v = makePhantom({ dims: [16, 16, 16], seed: 10 + i });
    writeNifti(path.join(dir, 'data', `img${i}.nii.gz`), v);
    writeNifti(path.join(dir, 'data', `seg${i}.nii.gz`), blobLabels(v), { datatype: 'uint8' });
    return { image: `data/img${i}.nii.gz`, label: `data/seg${i}.nii.gz` };
  });
  fs.writeFileSync(
    path.join(dir, 'datalist.json'),
    JSON.stringify({ training: entries.slice(0, 2), validation: entries.slice(2) }),
  );
  // YAML config: relative paths from the config's folder; --steps on the command line wins over the file.
  fs.writeFileSync(
    path.join(dir, 'ft.yaml'),
    [
      'dataset: datalist.json',
      'classes: 2',
      'size: 16',
      `chan: ${CHAN}`,
      'steps: 50',
      'val-every: 2',
      'lr: 1e-3',
      'out: run1',
      'quiet: true',
    ].join('\n'),
  );
  const r = await cli(['finetune', '--config', path.join(dir, 'ft.yaml'), '--steps', '2']);
  expect(r.stderr).not.toMatch(/Error|\n\s+at /);
  expect(r.code).toBe(0);
  const run1 = path.join(dir, 'run1');
  const c1 = config(run1) as { steps: number; lr: number; val: { image: string }[]; train: unknown[] };
  expect(c1.steps).toBe(2);
  expect(c1.lr).toBe(1e-3);
  expect(c1.val.map((p) => path.basename(p.image))).toEqual(['img2.nii.gz']);
  expect(c1.train).toHaveLength(2);
  // The run's own config.json re-runs it (into another folder).
  const run2 = path.join(dir, 'run2');
  const r2 = await cli(['finetune', '--config', path.join(run1, 'config.json'), '--out', run2]);
  expect(r2.code).toBe(0);
  expect(config(run2)).toEqual(config(run1));
  // Config mistakes are one line.
  fs.writeFileSync(path.join(dir, 'bad.yaml'), 'stpes: 3\n');
  oneLine(
    await cli(['finetune', '--config', path.join(dir, 'bad.yaml')]),
    /Unknown argument: stpes \(on the command line or in --config .*bad\.yaml\)/,
  );
  fs.writeFileSync(path.join(dir, 'bad.json'), '{"steps": ');
  oneLine(await cli(['pretrain', '--config', path.join(dir, 'bad.json')]), /--config .*bad\.json: not valid JSON/);
  oneLine(
    await cli(['pretrain', '--config', path.join(run1, 'config.json')]),
    /this is a finetune run's config\.json; use it with onnx-train finetune/,
  );
  fs.writeFileSync(path.join(dir, 'lr.json'), '{"lr": "fast"}');
  oneLine(await cli(['pretrain', '--config', path.join(dir, 'lr.json')]), /--lr expects a positive number, got 'fast'/);
}, 240_000);

test('pretrain: a JSON config and a re-run from the run config.json give the same config (similarity loss included)', async () => {
  const dir = tmp();
  // Two phantoms given as the positional `data`, relative to the config file.
  for (const i of [0, 1])
    writeNifti(path.join(dir, `v${i}.nii.gz`), makePhantom({ dims: [20, 20, 20], seed: i, spacing: [2, 2, 2] }));
  fs.writeFileSync(
    path.join(dir, 'pt.json'),
    JSON.stringify({
      data: ['v0.nii.gz', 'v1.nii.gz'],
      size: [16, 16, 16],
      chan: CHAN,
      steps: 1,
      spacing: '2,2,2.5',
      'w-mse': 0.5,
      augment: false,
      similarity: 'mi',
      'similarity-bins': 16,
      quiet: true,
      out: 'a',
    }),
  );
  const r = await cli(['pretrain', '--config', path.join(dir, 'pt.json')]);
  expect(r.stderr).not.toMatch(/Error|\n\s+at /);
  expect(r.code).toBe(0);
  const a = config(path.join(dir, 'a')) as Record<string, unknown>;
  expect(a.spacing).toEqual([2, 2, 2.5]);
  expect(a.volumes).toEqual([path.join(dir, 'v0.nii.gz'), path.join(dir, 'v1.nii.gz')]);
  expect(a.lossWeights).toEqual({ ncc: 1, mse: 0.5, smooth: 1 });
  expect(a.augment).toEqual({ appearance: false, spatial: false });
  expect(a.similarity).toEqual({ kind: 'mi', bins: 16 });
  const r2 = await cli([
    'pretrain',
    '--config',
    path.join(dir, 'a', 'config.json'),
    '--out',
    path.join(dir, 'b'),
    '--quiet',
  ]);
  expect(r2.code).toBe(0);
  expect(config(path.join(dir, 'b'))).toEqual(a);
}, 240_000);

test('distributed prepare takes pretrain flags from --config, and a prepared run re-prepares from its config.json', async () => {
  const dir = tmp();
  for (const i of [0, 1]) writeNifti(path.join(dir, `v${i}.nii.gz`), makePhantom({ dims: [20, 20, 20], seed: i }));
  fs.writeFileSync(
    path.join(dir, 'd.yaml'),
    [
      'data: [v0.nii.gz, v1.nii.gz]',
      'size: 16',
      `chan: ${CHAN}`,
      'steps: 2',
      'batch: 2',
      'micro-batch: 1',
      'out: a',
      'quiet: true',
    ].join('\n'),
  );
  const r = await cli(['distributed', 'prepare', '--config', path.join(dir, 'd.yaml')]);
  expect(r.stderr).not.toMatch(/Error|\n\s+at /);
  expect(r.code).toBe(0);
  const a = config(path.join(dir, 'a'));
  expect(a.volumes).toEqual([path.join(dir, 'v0.nii.gz'), path.join(dir, 'v1.nii.gz')]);
  expect(a.batch).toBe(2);
  const r2 = await cli([
    'distributed',
    'prepare',
    '--config',
    path.join(dir, 'a', 'config.json'),
    '--out',
    path.join(dir, 'b'),
    '--quiet',
  ]);
  expect(r2.code).toBe(0);
  expect(config(path.join(dir, 'b'))).toEqual(a);
}, 120_000);
