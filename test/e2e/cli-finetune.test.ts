/**
 * `onnx-train finetune` and `onnx-train segment` end to end, through the compiled CLI (npm test builds first),
 * on synthetic phantoms whose label maps are their inner blobs: the loss falls, the best checkpoint and seg.onnx
 * are written, resume == uninterrupted, linear mode leaves a GVSL backbone bit-identical, a label map on another
 * grid is one clear line, and segment writes a NIfTI label map with the input's affine.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GVSL } from '../../graphs/gvsl';
import { SegNet } from '../../graphs/seg';
import type { Widths } from '../../graphs/unet';
import { makePhantom, readNifti, type Volume, writeNifti } from '../../runtime/data';
import { loadCheckpoint, saveCheckpoint } from '../../runtime/engine/checkpoint';
import { checkModelFiles, haveOnnxChecker } from '../helpers/onnx-checker';
import { ROOT } from '../helpers/paths';

const BIN = path.join(ROOT, 'bin', 'onnx-train.js');
const CHAN: Widths = [8, 8, 8, 8, 16, 8, 8, 8, 16];
const TINY = ['--size', '16', '--chan', CHAN.join(','), '--quiet'];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-'));

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'cli', 'index.js')))
    throw new Error('run `npm run build` first (npm test does)');
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 180000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Label map of a phantom: its inner blobs (intensity > 0.37; the body is ≤ 0.33, blobs ≥ 0.405). */
const blobLabels = (v: Volume): Volume => ({ ...v, data: v.data.map((x) => (x > 0.37 ? 1 : 0)) });

/** images/ and labels/ folders of `n` phantoms. */
function dataset(n: number, dims: [number, number, number] = [24, 24, 24]): { images: string; labels: string } {
  const dir = tmp();
  const images = path.join(dir, 'images');
  const labels = path.join(dir, 'labels');
  fs.mkdirSync(images);
  fs.mkdirSync(labels);
  for (let i = 0; i < n; i++) {
    const v = makePhantom({ dims, seed: i });
    writeNifti(path.join(images, `case${i}.nii.gz`), v);
    writeNifti(path.join(labels, `case${i}.nii.gz`), blobLabels(v), { datatype: 'uint8' });
  }
  return { images, labels };
}

const data = dataset(4);
const common = ['--images', data.images, '--labels', data.labels, '--classes', '2', '--lr', '1e-3'];
const metrics = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);
const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

test('finetune learns an easy task, keeps the best checkpoint and writes seg.onnx; segment writes labels with the input affine', () => {
  const out = tmp();
  const r = cli(['finetune', ...common, ...TINY, '--steps', '40', '--val-every', '10', '--out', out]);
  expect(r.stderr).not.toMatch(/Error|\n\s+at /);
  expect(r.code).toBe(0);
  const lines = metrics(out);
  expect(lines.map((l) => l.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(mean(lines.slice(-10).map((l) => l.loss))).toBeLessThan(0.6 * mean(lines.slice(0, 5).map((l) => l.loss)));
  const val = lines.filter((l) => 'val_dice' in l);
  expect(val.map((l) => l.step)).toEqual([10, 20, 30, 40]);
  const best = loadCheckpoint<{ classes: number }>(path.join(out, 'best.safetensors'));
  const bestVal = Math.max(...val.map((l) => l.val_dice));
  expect((best.meta.extra!.best as { dice: number }).dice).toBeCloseTo(bestVal, 12);
  expect(best.meta.step).toBe(val.find((l) => l.val_dice === bestVal)!.step);
  expect([...best.state.keys()].some((k) => k.startsWith('adam.'))).toBe(false);
  for (const f of ['checkpoint.safetensors', 'loss.svg', 'dice.svg', 'seg.onnx', 'train.onnx', 'config.json'])
    expect(fs.existsSync(path.join(out, f))).toBe(true);
  if (haveOnnxChecker()) expect(checkModelFiles([path.join(out, 'seg.onnx')])).toEqual([]);

  // A new subject stored LSA (coronal slices, as itk-t1-head) with anisotropic voxels and an offset origin.
  const ph = makePhantom({ dims: [20, 26, 22], seed: 9 });
  const input = path.join(tmp(), 'subject.nii.gz');
  writeNifti(input, {
    ...ph,
    affine: [-0.9, 0, 0, 40, 0, 0, 1.1, -30, 0, -1.2, 0, 25, 0, 0, 0, 1],
    spacing: [1.1, 1.2, 0.9],
  });
  const seg = path.join(tmp(), 'labels.nii.gz');
  const s = cli(['segment', input, '--model', path.join(out, 'seg.onnx'), '--out', seg, '--quiet']);
  expect(s.stderr).toBe('');
  expect(s.code).toBe(0);
  const raw = gunzipSync(fs.readFileSync(seg));
  expect(raw.readInt32LE(0)).toBe(348);
  expect(raw.toString('latin1', 344, 347)).toBe('n+1');
  expect(raw.readInt16LE(70)).toBe(2); // uint8
  const got = readNifti(seg);
  const src = readNifti(input);
  expect(got.dims).toEqual(src.dims);
  expect(got.affine).toEqual(src.affine);
  expect(new Set(got.data)).toEqual(new Set([0, 1]));
  // The model found the blobs: Dice against the subject's own blob map.
  const truth = blobLabels(src).data;
  let [inter, sum] = [0, 0];
  got.data.forEach((v, i) => ((inter += v * truth[i]), (sum += v + truth[i])));
  expect((2 * inter) / sum).toBeGreaterThan(0.5);

  // The run folder works as --model too (its best weights).
  const seg2 = path.join(tmp(), 'labels2.nii.gz');
  expect(cli(['segment', input, '--model', out, '--out', seg2, '--quiet']).code).toBe(0);
  expect(Array.from(readNifti(seg2).data)).toEqual(Array.from(got.data));
});

test('resuming (here with --no-arena) gives exactly the losses of an uninterrupted run', () => {
  const a = tmp();
  const b = tmp();
  const args = [...common, ...TINY, '--val-fraction', '0'];
  expect(cli(['finetune', ...args, '--steps', '8', '--out', a]).code).toBe(0);
  expect(cli(['finetune', ...args, '--steps', '4', '--out', b]).code).toBe(0);
  expect(cli(['finetune', '--resume', b, '--steps', '8', '--quiet', '--no-arena']).code).toBe(0); // memory options change no number
  const strip = (ls: Record<string, number>[]) => ls.map(({ time, ...rest }) => (void time, rest));
  expect(strip(metrics(b))).toEqual(strip(metrics(a)));
});

test('linear mode from a GVSL pre-training checkpoint: the backbone stays bit-identical, the head learns', () => {
  const dir = tmp();
  // A checkpoint as `pretrain` writes it: GVSL parameters (backbone + heads), Adam state, run config.
  const gvsl = new GVSL(1, CHAN);
  const weights = gvsl.initStateDict(11);
  for (const [k, v] of [...weights]) weights.set(`adam.m.${k}`, v);
  saveCheckpoint(dir, weights, { config: { chan: CHAN }, step: 5 });
  const out = tmp();
  const r = cli([
    'finetune',
    ...common,
    '--size',
    '16',
    '--quiet',
    '--mode',
    'linear',
    '--weights',
    dir,
    '--steps',
    '5',
    '--val-fraction',
    '0',
    '--out',
    out,
  ]);
  expect(r.stderr).not.toMatch(/warning|Error/);
  expect(r.code).toBe(0);
  const ck = loadCheckpoint(out).state;
  const bytes = (a: { data: ArrayBufferView }) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const backbone = [...ck.keys()].filter((k) => k.startsWith('unet.'));
  expect(backbone.length).toBe([...weights.keys()].filter((k) => k.startsWith('unet.')).length);
  for (const k of backbone) expect(bytes(ck.get(k)!).equals(bytes(weights.get(k)!))).toBe(true);
  expect([...ck.keys()].filter((k) => k.startsWith('adam.m.'))).toEqual([
    'adam.m.out_conv.weight',
    'adam.m.out_conv.bias',
  ]);
  const fresh = new SegNet(2, CHAN).initStateDict(0);
  expect(bytes(ck.get('out_conv.weight')!).equals(bytes(fresh.get('out_conv.weight')!))).toBe(false);
});

test('a label map on another grid is one line naming the file', () => {
  const d = dataset(2, [12, 12, 12]);
  const v = makePhantom({ dims: [12, 12, 14], seed: 1 });
  writeNifti(path.join(d.labels, 'case1.nii.gz'), blobLabels(v), { datatype: 'uint8' });
  const r = cli([
    'finetune',
    '--images',
    d.images,
    '--labels',
    d.labels,
    '--classes',
    '2',
    ...TINY,
    '--steps',
    '2',
    '--out',
    tmp(),
  ]);
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(
    /^onnx-train: \S*labels\/case1\.nii\.gz: the label map's grid \(14x12x12 voxels of 1x1x1 mm\) does not match its image \S*images\/case1\.nii\.gz/,
  );
});
