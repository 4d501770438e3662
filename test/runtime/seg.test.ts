/**
 * Downstream segmentation, in process: the Dice loss and the Dice metric against hand computations, linear mode's
 * frozen backbone in the training graph and after training, the label/image grid check, MONAI's window
 * placement and Gaussian blending, sliding-window = whole-volume inference when the volume is one window, and
 * `segment`'s exact return to the input grid.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSegGraph, buildSegTrainGraph, diceLoss, oneHot, SegNet } from '../../graphs/seg';
import type { Widths } from '../../graphs/unet';
import { Graph } from '../../sdk/graph';
import { concat, sub } from '../../sdk/ops';
import { saveModel } from '../../sdk/export';
import { makePhantom, makeVolume, normalize, type Volume, writeNifti } from '../../runtime/data';
import { makeSegBatch } from '../../runtime/finetune/batches';
import { checkSameGrid, loadPair, pairFiles } from '../../runtime/finetune/data';
import { diceScores } from '../../runtime/finetune/dice';
import { SEG_INFO_KEY, SegPredictor } from '../../runtime/engine/seg-predictor';
import { importanceMap, slidingWindow, windowStarts } from '../../runtime/engine/sliding-window';
import { TrainingSession } from '../../runtime/engine/session';
import { checkRecordedModels } from '../helpers/onnx-checker';
import { runGraph } from '../helpers/run';

const TINY: Widths = [8, 8, 8, 8, 16, 8, 8, 8, 16];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'seg-'));
const bytes = (a: { data: ArrayBufferView }) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
/** Label map of a phantom: its inner blobs (intensity > 0.37; the body is ≤ 0.33, blobs ≥ 0.405). */
const blobLabels = (v: Volume): Volume => ({ ...v, data: v.data.map((x) => (x > 0.37 ? 1 : 0)) });

describe('Dice', () => {
  test('metric on hand-made label maps: perfect, disjoint, half overlap, absent class', () => {
    const truth = [0, 1, 1, 1, 1, 0, 0, 0, 2, 2];
    expect(diceScores(truth, truth, 3)).toEqual([1, 1]);
    // Class 1 predicted on four other voxels, class 2 nowhere.
    expect(diceScores([1, 0, 0, 0, 0, 1, 1, 1, 0, 0], truth, 3)).toEqual([0, 0]);
    // Class 1: 4 predicted, 4 true, 2 shared → 2·2/(4+4); class 2: 1 predicted of 2 true → 2·1/(1+2).
    expect(diceScores([0, 1, 1, 0, 0, 1, 1, 0, 2, 0], truth, 3)).toEqual([0.5, 2 / 3]);
    // A class absent from both maps has no Dice; predicted but absent from the truth scores 0.
    expect(diceScores([0, 0, 0], [0, 0, 0], 2)).toEqual([NaN]);
    expect(diceScores([1, 0, 0], [0, 0, 0], 2)).toEqual([0]);
  });

  test('loss is the official soft Dice: 1 − mean over samples and classes of (2Σpg + 1)/(Σg² + Σp² + 1)', async () => {
    const [N, C, S] = [2, 3, 4];
    const n = S * S * S;
    const probs = new Float32Array(N * C * n);
    for (let b = 0; b < N; b++)
      for (let i = 0; i < n; i++) {
        const raw = [0, 1, 2].map((c) => Math.exp(Math.sin(7 * i + 3 * c + b)));
        raw.forEach((r, c) => (probs[(b * C + c) * n + i] = r / (raw[0] + raw[1] + raw[2])));
      }
    const labels = Float32Array.from({ length: N * n }, (_, i) => (i * 7) % C);
    const g = new Graph('dice');
    const p = g.input('p', 'float32', [N, C, S, S, S]);
    const l = g.input('l', 'float32', [N, 1, S, S, S]);
    g.output('loss', diceLoss(p, oneHot(l, C)));
    const out = await runGraph(g, {
      p: { dtype: 'float32', shape: [N, C, S, S, S], data: probs },
      l: { dtype: 'float32', shape: [N, 1, S, S, S], data: labels },
    });
    let sum = 0;
    for (let b = 0; b < N; b++)
      for (let c = 0; c < C; c++) {
        let [pg, gg, pp] = [0, 0, 0];
        for (let i = 0; i < n; i++) {
          const pv = probs[(b * C + c) * n + i];
          const gv = labels[b * n + i] === c ? 1 : 0;
          pg += pv * gv;
          gg += gv * gv;
          pp += pv * pv;
        }
        sum += (2 * pg + 1) / (gg + pp + 1);
      }
    expect(out.loss.data[0]).toBeCloseTo(1 - sum / (N * C), 6);
    // Perfect one-hot probabilities give 0.
    const perfect = new Float32Array(N * C * n);
    for (let b = 0; b < N; b++) for (let i = 0; i < n; i++) perfect[(b * C + labels[b * n + i]) * n + i] = 1;
    const out2 = await runGraph(g, {
      p: { dtype: 'float32', shape: [N, C, S, S, S], data: perfect },
      l: { dtype: 'float32', shape: [N, 1, S, S, S], data: labels },
    });
    expect(out2.loss.data[0]).toBeCloseTo(0, 7);
  });
});

test('linear mode: the backbone is frozen in the graph (no gradient, no Adam state, no update) and after training', async () => {
  const model = new SegNet(2, TINY);
  const shape = [1, 1, 16, 16, 16] as const;
  const lin = buildSegTrainGraph(model, shape, { mode: 'linear' });
  expect(lin.step.trained).toEqual(['out_conv.weight', 'out_conv.bias']);
  expect(lin.step.frozen.every((k) => k.startsWith('unet.'))).toBe(true);
  const ft = buildSegTrainGraph(new SegNet(2, TINY), shape, { mode: 'finetune' });
  expect(ft.step.trained.length).toBe(lin.step.trained.length + lin.step.frozen.length);
  // The linear graph's backward pass stops at out_conv: far fewer nodes.
  expect(lin.graph.nodes.length).toBeLessThan(0.6 * ft.graph.nodes.length);

  const dir = tmp();
  const file = path.join(dir, 'train.onnx');
  saveModel(lin.graph, file, { params: 'inputs' });
  const init = model.initStateDict(3);
  const session = await TrainingSession.create(file, init, { threads: 1 });
  expect(session.batchInputs.sort()).toEqual(['image', 'label']);
  const v = makePhantom({ dims: [20, 20, 20], seed: 1 });
  const vols = [{ image: v, label: blobLabels(v) }];
  for (let s = 1; s <= 3; s++)
    await session.step(makeSegBatch(vols, { seed: 0, size: [16, 16, 16], batch: 1 }, s), 1e-2);
  const after = session.getState();
  await session.release();
  expect([...after.keys()].some((k) => k.startsWith('adam.m.unet.'))).toBe(false);
  for (const [k, a] of init) {
    const b = after.get(k)!;
    if (k.startsWith('unet.')) expect(bytes(b).equals(bytes(a))).toBe(true);
    else expect(bytes(b).equals(bytes(a))).toBe(false);
  }
});

describe('labels and images', () => {
  test('a label map on another grid is refused, naming the file', () => {
    const img = makeVolume(new Float32Array(8 * 8 * 8), [8, 8, 8], [1, 1, 1], 'images/a.nii.gz');
    expect(() =>
      checkSameGrid(img, makeVolume(new Float32Array(8 * 8 * 9), [8, 8, 9], [1, 1, 1], 'labels/a.nii.gz')),
    ).toThrow(
      /^labels\/a\.nii\.gz: the label map's grid \(9x8x8 voxels .*\) does not match its image images\/a\.nii\.gz \(8x8x8/,
    );
    const shifted = makeVolume(new Float32Array(8 * 8 * 8), [8, 8, 8], [1, 1, 1], 'labels/a.nii.gz');
    shifted.affine[3] = 2;
    expect(() => checkSameGrid(img, shifted)).toThrow(
      /^labels\/a\.nii\.gz: the label map's affine .* does not match its image images\/a\.nii\.gz/,
    );
  });

  test('images and labels are paired by name; a missing label map or a bad label value names the file', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'im'));
    fs.mkdirSync(path.join(dir, 'lab'));
    const v = makePhantom({ dims: [8, 8, 8], seed: 0 });
    writeNifti(path.join(dir, 'im', 'a.nii.gz'), v);
    writeNifti(
      path.join(dir, 'lab', 'a.nii'),
      { ...v, data: v.data.map((x) => (x > 0.37 ? 3 : 0)) },
      { datatype: 'uint8' },
    );
    const pairs = pairFiles(path.join(dir, 'im'), path.join(dir, 'lab'));
    expect(pairs).toEqual([{ image: path.join(dir, 'im', 'a.nii.gz'), label: path.join(dir, 'lab', 'a.nii') }]);
    expect(() => loadPair(pairs[0], { classes: 2, normalize: 'mr-percentile' })).toThrow(
      /lab\/a\.nii: value 3 .* is not a class index 0\.\.1/,
    );
    writeNifti(path.join(dir, 'im', 'b.nii.gz'), v);
    expect(() => pairFiles(path.join(dir, 'im'), path.join(dir, 'lab'))).toThrow(
      /im\/b\.nii\.gz: no label map of the same name/,
    );
  });
});

describe('sliding windows (MONAI semantics)', () => {
  test('window starts and the Gaussian importance map', () => {
    expect(windowStarts(40, 16, 0.25)).toEqual([0, 12, 24]);
    expect(windowStarts(41, 16, 0.25)).toEqual([0, 12, 24, 25]);
    expect(windowStarts(16, 16, 0.25)).toEqual([0]);
    expect(windowStarts(20, 16, 0.5)).toEqual([0, 4]);
    const imp = importanceMap([3, 4, 5]);
    const g = (i: number, n: number) => Math.exp(-((i - (n - 1) / 2) ** 2) / (2 * (0.125 * n) ** 2));
    expect(imp[(1 * 4 + 2) * 5 + 2]).toBeCloseTo(g(1, 3) * g(2, 4) * g(2, 5), 6);
    // Corners are clamped at 1e-3 (MONAI: at least the smallest value, never below 1e-3).
    expect(imp[0]).toBeCloseTo(1e-3, 6);
  });

  test('blending is a weighted mean: constant predictions come back unchanged over a volume of many windows', async () => {
    const dims: [number, number, number] = [13, 20, 9];
    const out = await slidingWindow(
      new Float32Array(13 * 20 * 9),
      dims,
      [8, 8, 8],
      2,
      async (w) => new Float32Array(2 * w.length).fill(0.25).fill(0.75, w.length),
      { overlap: 0.5 },
    );
    const n = 13 * 20 * 9;
    let worst = 0;
    out.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - (i < n ? 0.25 : 0.75)))));
    expect(worst).toBeLessThan(1e-6);
  });

  test('equals whole-volume inference when the volume is one window', async () => {
    const model = new SegNet(3, TINY);
    const predictor = await SegPredictor.fromModel(
      model,
      { classes: 3, size: [16, 12, 20], normalize: 'mr-percentile' },
      { threads: 1 },
    );
    const params = model.initStateDict(5);
    predictor.setParams(params);
    const vol = normalize(makePhantom({ dims: [16, 12, 20], seed: 2 }), { preset: 'mr-percentile' });
    const sw = await predictor.probabilities(vol, 0.25);
    await predictor.release();
    const whole = await runGraph(
      buildSegGraph(model, [1, 1, 16, 12, 20]),
      { image: { dtype: 'float32', shape: [1, 1, 16, 12, 20], data: vol.data } },
      { weights: params },
    );
    expect(sw.length).toBe(whole.probs.data.length);
    let worst = 0;
    sw.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - (whole.probs.data[i] as number)))));
    expect(worst).toBeLessThan(1e-6);
  });
});

/** A stand-in model: probs = (1 − x, x), so its labels are "normalised intensity > 0.5". */
function thresholdModel(file: string, size: [number, number, number], spacing?: number): void {
  const g = new Graph('threshold');
  const x = g.input('image', 'float32', [1, 1, ...size]);
  g.output('probs', concat([sub(1, x), x], 1));
  saveModel(g, file, {
    metadata: { [SEG_INFO_KEY]: JSON.stringify({ classes: 2, size, normalize: 'mr-percentile', spacing }) },
  });
}

test('segment returns labels on the input grid: the RAS reorientation inverted exactly, resampling undone', async () => {
  const dir = tmp();
  // An LSA volume (as itk-t1-head: coronal slices), anisotropic voxels, off origin.
  const ph = makePhantom({ dims: [14, 22, 18], seed: 4 });
  const raw: Volume = {
    ...ph,
    affine: [-1.5, 0, 0, 30, 0, 0, 2, -20, 0, -1, 0, 12, 0, 0, 0, 1],
    spacing: [2, 1, 1.5],
    name: 'lsa',
  };
  const expected = normalize(raw, { preset: 'mr-percentile' }).data.map((x) => (x > 0.5 ? 1 : 0));

  thresholdModel(path.join(dir, 'native.onnx'), [12, 12, 12]);
  const native = await SegPredictor.fromOnnx(path.join(dir, 'native.onnx'), { threads: 1 });
  const labels = await native.segment(raw);
  await native.release();
  expect(labels.dims).toEqual(raw.dims);
  expect(labels.affine).toEqual(raw.affine);
  expect(Array.from(labels.data)).toEqual(Array.from(expected));

  thresholdModel(path.join(dir, 'resampled.onnx'), [12, 12, 12], 1.25);
  const resampled = await SegPredictor.fromOnnx(path.join(dir, 'resampled.onnx'), { threads: 1 });
  expect(resampled.info.spacing).toBe(1.25);
  const labels2 = await resampled.segment(raw);
  await resampled.release();
  expect(labels2.dims).toEqual(raw.dims);
  expect(diceScores(labels2.data, expected, 2)[0]).toBeGreaterThan(0.9);
});

test('every exported model passes the ONNX checker', () => {
  expect(checkRecordedModels()).toEqual([]);
});
