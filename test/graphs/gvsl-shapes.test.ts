/**
 * The GVSL graphs at tiny widths, odd sizes (17×33×20, not multiples of 16) and batch 2: they build, export,
 * pass ONNX's checker, run in onnxruntime-node, give the documented output shapes, and batch 2 equals each
 * sample run alone (GroupNorm and the affine matrix are per sample).
 */
import { buildGvslGraph, buildGvslTrainGraph, buildUnetGraph, GVSL, type VolumeShape } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import type { NamedArray, StateDict } from '../../sdk/state';
import { checkRecordedModels } from '../helpers/onnx-checker';
import { Rng } from '../helpers/rng';
import { runGraph } from '../helpers/run';

const CHAN = parseWidths('8,16,16,32,32,32,16,16,16');
const [N, D, H, W] = [2, 17, 33, 20];
const SHAPE: VolumeShape = [N, 1, D, H, W];
const ceil16 = (s: number) => Math.ceil(s / 16) * 16;

const model = new GVSL(1, CHAN);
const weights: StateDict = model.initStateDict(3);

/** A smooth random volume batch (N, 1, D, H, W): a few random cosine waves, so warps and NCC see structure. */
function volumes(seed: number, n = N): NamedArray {
  const rng = new Rng(seed);
  const data = new Float32Array(n * D * H * W);
  for (let b = 0; b < n; b++) {
    const waves = Array.from({ length: 4 }, () => [
      rng.uniform(0.1, 0.6),
      rng.uniform(0.1, 0.6),
      rng.uniform(0.1, 0.6),
      rng.uniform(0, 6),
    ]);
    let k = b * D * H * W;
    for (let z = 0; z < D; z++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++, k++) {
          data[k] = 0.5 + waves.reduce((s, [a, c, e, p]) => s + 0.12 * Math.cos(a * z + c * y + e * x + p), 0);
        }
  }
  return { dtype: 'float32', shape: [n, 1, D, H, W], data };
}

/** Sample `i` of a batch, as a batch of one. */
function sample(a: NamedArray, i: number): NamedArray {
  const per = a.data.length / a.shape[0];
  return {
    dtype: a.dtype,
    shape: [1, ...a.shape.slice(1)],
    data: (a.data as Float32Array).slice(i * per, (i + 1) * per),
  };
}

/** max |a − b| / max(|b|, 1e-6) */
function relErr(a: NamedArray, b: NamedArray): number {
  let num = 0;
  let den = 1e-6;
  for (let i = 0; i < b.data.length; i++) {
    num = Math.max(num, Math.abs(Number(a.data[i]) - Number(b.data[i])));
    den = Math.max(den, Math.abs(Number(b.data[i])));
  }
  return num / den;
}

const finite = (a: NamedArray) => Array.from(a.data as Float32Array).every(Number.isFinite);

const A = volumes(1);
const B = volumes(2);

test('gvsl: documented output shapes at batch 2, and batch 2 equals each sample alone', async () => {
  const out = await runGraph(buildGvslGraph(model, SHAPE), { A, B }, { weights });
  expect(out.res_A.shape).toEqual([N, 1, D, H, W]);
  expect(out.warp_BA.shape).toEqual([N, 1, D, H, W]);
  expect(out.aff_mat_BA.shape).toEqual([N, 3, 4]);
  expect(out.flow_BA.shape).toEqual([N, 3, D, H, W]);
  for (const v of Object.values(out)) expect(finite(v)).toBe(true);

  const one = buildGvslGraph(model, [1, 1, D, H, W]);
  const failures: string[] = [];
  for (let i = 0; i < N; i++) {
    const alone = await runGraph(one, { A: sample(A, i), B: sample(B, i) }, { weights });
    for (const k of ['res_A', 'warp_BA', 'aff_mat_BA', 'flow_BA']) {
      const e = relErr(sample(out[k], i), alone[k]);
      if (!(e < 1e-5)) failures.push(`sample ${i} ${k}: rel err ${e}`);
    }
  }
  expect(failures).toEqual([]);
  // The two samples differ, so equality above is not the trivial one.
  expect(relErr(sample(out.aff_mat_BA, 0), sample(out.aff_mat_BA, 1))).toBeGreaterThan(1e-4);
});

test('unet: global (N, c4, ceil16(D)/16, …) and local (N, c8, D, H, W); batch independent', async () => {
  const out = await runGraph(buildUnetGraph(model.unet, SHAPE), { x: A }, { weights });
  expect(out.global.shape).toEqual([N, CHAN[4], ceil16(D) / 16, ceil16(H) / 16, ceil16(W) / 16]);
  expect(out.local.shape).toEqual([N, CHAN[8], D, H, W]);
  const alone = await runGraph(buildUnetGraph(model.unet, [1, 1, D, H, W]), { x: sample(A, 1) }, { weights });
  expect(relErr(sample(out.global, 1), alone.global)).toBeLessThan(1e-5);
  expect(relErr(sample(out.local, 1), alone.local)).toBeLessThan(1e-5);
});

test("gvsl-train: one step runs; scalar losses, and new parameters and Adam state of the parameters' shapes", async () => {
  const { graph, step } = buildGvslTrainGraph(model, SHAPE);
  const feeds: Record<string, NamedArray> = {
    img_aug: B,
    img: A,
    img2: volumes(5),
    lr: { dtype: 'float32', shape: [], data: Float32Array.of(1e-3) },
    step: { dtype: 'float32', shape: [], data: Float32Array.of(1) },
  };
  for (const name of step.trained) {
    const w = weights.get(name)!;
    feeds[name] = w;
    for (const s of step.stateNames.get(name)!)
      feeds[s] = { dtype: 'float32', shape: w.shape, data: new Float32Array(w.data.length) };
  }
  // Shapes, finiteness and which parameters move do not depend on graph optimisation; without it, creating the
  // session of this ~12k-node training graph takes about half as long as at 'basic'.
  const out = await runGraph(graph, feeds, { params: 'inputs', session: { graphOptimizationLevel: 'disabled' } });
  for (const k of ['loss', 'loss_ncc', 'loss_mse', 'loss_smooth']) {
    expect(out[k].shape).toEqual([]);
    expect(Number.isFinite(Number(out[k].data[0]))).toBe(true);
  }
  expect(Number(out.loss.data[0])).toBeCloseTo(
    Number(out.loss_ncc.data[0]) + Number(out.loss_mse.data[0]) + Number(out.loss_smooth.data[0]),
    5,
  );
  expect([...step.trained].sort()).toEqual([...weights.keys()].sort());
  for (const name of step.trained) {
    expect(out[`new.${name}`].shape).toEqual(weights.get(name)!.shape);
    for (const s of step.stateNames.get(name)!) expect(out[`new.${s}`].shape).toEqual(weights.get(name)!.shape);
  }
  // Adam's first step moves every parameter that has a gradient by about lr: the heads' included.
  const moved = (name: string) => relErr(out[`new.${name}`], weights.get(name)!) > 0;
  expect(
    ['fc_rot.weight', 'fc_shear.bias', 'out_flow.weight', 'res_conv.3.weight', 'unet.inc.double_conv.0.weight'].filter(
      (k) => !moved(k),
    ),
  ).toEqual([]);
});

test('every exported model passes the ONNX checker', () => {
  expect(checkRecordedModels()).toEqual([]);
});
