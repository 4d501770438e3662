/**
 * The registration similarity losses of graphs/similarity: each against PyTorch (test/graphs/fixtures/
 * similarity.json, made by scripts/make_similarity_fixtures.py with Debian's python3-torch: loss and gradient
 * with respect to the warped image), each gradient against central differences in a random direction, and the
 * known cases (SSIM(x, x) = 1, NCC(x, a·x + b) = 1, MI(x, x) > MI(x, shuffled x), …).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  normalizeSimilarity,
  sampleVoxels,
  SIMILARITIES,
  similarityLoss,
  type SimilaritySpec,
  similarityTerm,
} from '../../graphs/similarity';
import { nccLoss } from '../../graphs/losses';
import { Graph } from '../../sdk/graph';
import type { NamedArray } from '../../sdk/state';
import { relErr } from '../helpers/compare';
import { gradCheck } from '../helpers/gradcheck';
import { Rng } from '../helpers/rng';
import { runGraph } from '../helpers/run';
import { grad } from '../../sdk/autodiff';

interface Fixture {
  shape: number[];
  I: number[];
  J: number[];
  cases: Record<string, { spec: SimilaritySpec; loss: number; grad: number[] }>;
}
const FIX = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'similarity.json'), 'utf8')) as Fixture;

/** Kinds whose graphs contain a Conv (float32 only in ONNX Runtime's CPU EP); the others run in float64. */
const usesConv = (s: SimilaritySpec) => s.kind === 'ncc' || s.kind === 'ssim';
const dtypeOf = (s: SimilaritySpec) => (usesConv(s) ? 'float32' : 'float64');

const arr = (dtype: 'float32' | 'float64', shape: number[], v: ArrayLike<number>): NamedArray => ({
  dtype,
  shape,
  data: dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v),
});

/** The loss and its gradient with respect to I, evaluated by onnxruntime-node. */
async function lossAndGrad(spec: SimilaritySpec, shape: number[], I: ArrayLike<number>, J: ArrayLike<number>) {
  const dtype = dtypeOf(spec);
  const g = new Graph('sim');
  const i = g.input('I', dtype, shape);
  const j = g.input('J', dtype, shape);
  const l = similarityLoss(spec, i, j);
  g.output('loss', l);
  g.output('dI', grad(l, [i])[0]);
  const out = await runGraph(g, { I: arr(dtype, shape, I), J: arr(dtype, shape, J) });
  return { loss: Number(out.loss.data[0]), dI: out.dI };
}

describe('PyTorch references (float64 in torch; float32 here where the graph has a Conv)', () => {
  for (const [name, c] of Object.entries(FIX.cases)) {
    test(`${name}: loss and gradient`, async () => {
      const r = await lossAndGrad(c.spec, FIX.shape, FIX.I, FIX.J);
      // Our MI loss is ln(bins) − MI, VoxelMorph's −MI shifted by a constant (graphs/similarity/mi.ts).
      if (c.spec.kind === 'mi') r.loss -= Math.log(c.spec.bins ?? 32);
      const tol = usesConv(c.spec) ? 2e-5 : 1e-9;
      expect(Math.abs(r.loss - c.loss)).toBeLessThan(tol * Math.max(1, Math.abs(c.loss)));
      expect(relErr(r.dI, { data: Float64Array.from(c.grad) })).toBeLessThan(usesConv(c.spec) ? 1e-4 : 1e-6);
    });
  }
});

describe('gradients against central differences (one random direction)', () => {
  const shape = [2, 1, 6, 7, 5];
  const specs: SimilaritySpec[] = [
    { kind: 'ncc' },
    { kind: 'ncc', window: 3 },
    { kind: 'ncc-global' },
    { kind: 'mi' },
    { kind: 'mi', bins: 8, sigmaRatio: 0.7 },
    { kind: 'mi', bins: 12, sampling: 0.5 },
    { kind: 'ssim' },
    { kind: 'ssim', window: 5, sigma: 1 },
    { kind: 'mse' },
    { kind: 'mind' },
  ];
  for (const spec of specs) {
    test(JSON.stringify(spec), async () => {
      const f32 = usesConv(spec);
      // Inputs inside (0, 1): MI's clamp has no kink there. float32 with a large step: central differences
      // of a smooth function err by O(eps²).
      const r = await gradCheck({
        inputs: [
          { shape, range: [0.05, 0.95] },
          { shape, range: [0.05, 0.95] },
        ],
        build: ([a, b]) => similarityLoss(spec, a, b),
        ...(f32 ? { dtype: 'float32', eps: 1e-2, tol: 3e-3 } : {}),
      });
      expect(r.rel).toBeLessThan(r.tol);
    });
  }
});

describe('known cases', () => {
  const shape = [2, 1, 9, 10, 11];
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = new Rng(11);
  // A smooth-ish volume: random values plus a gradient along one axis (so the local windows have structure).
  const x = Array.from({ length: n }, (_, k) => 0.5 * rng.next() + 0.4 * ((k % 11) / 10));
  const perm = Array.from({ length: n }, (_, k) => k);
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor(rng.next() * (k + 1));
    [perm[k], perm[j]] = [perm[j], perm[k]];
  }
  const shuffled = perm.map((k) => x[k]);
  const loss = async (spec: SimilaritySpec, a: number[], b: number[]) => (await lossAndGrad(spec, shape, a, b)).loss;

  // Up to the 1e-5 in the denominator (relative to var_I·var_J, ~0.1 over a 3³ window here).
  test('local NCC(x, a·x) = 1 (loss 0) at windows 3, 9; a shuffled copy scores far worse', async () => {
    for (const window of [3, 9]) {
      expect(
        await loss(
          { kind: 'ncc', window },
          x,
          x.map((v) => 2.5 * v),
        ),
      ).toBeLessThan(1e-4);
      expect(
        await loss(
          { kind: 'ncc', window },
          x,
          x.map((v) => -0.7 * v),
        ),
      ).toBeLessThan(1e-4); // squared correlation
      expect(await loss({ kind: 'ncc', window }, x, shuffled)).toBeGreaterThan(0.3); // chance cc² in small windows is not 0
    }
  });

  // Up to the 1e-8 under the square root (relative to var_I·var_J, 2e-4 for the −0.5·x case).
  test('global NCC(x, a·x + b) = 1 for a > 0 (loss 0), −1 for a < 0 (loss 2)', async () => {
    expect(
      await loss(
        { kind: 'ncc-global' },
        x,
        x.map((v) => 3 * v + 0.5),
      ),
    ).toBeLessThan(1e-6);
    expect(
      Math.abs(
        (await loss(
          { kind: 'ncc-global' },
          x,
          x.map((v) => -0.5 * v + 2),
        )) - 2,
      ),
    ).toBeLessThan(1e-4);
    expect(await loss({ kind: 'ncc-global' }, x, shuffled)).toBeGreaterThan(0.5);
  });

  test('MI(x, x) > MI(x, 1 − x²) (a nonlinear intensity map) > MI(x, shuffled x); the loss ln(bins) − MI >= 0', async () => {
    const mi = async (b: number[], spec: SimilaritySpec = { kind: 'mi' }) =>
      Math.log(spec.bins ?? 32) - (await loss(spec, x, b));
    const self = await mi(x);
    const mapped = await mi(x.map((v) => 1 - v * v));
    const shuf = await mi(shuffled);
    expect(self).toBeLessThan(Math.log(32));
    expect(self).toBeGreaterThan(mapped);
    expect(mapped).toBeGreaterThan(5 * shuf); // a one-to-one intensity map keeps most of the information
    expect(shuf).toBeGreaterThan(0);
    // Sampling half the voxels estimates nearly the same MI.
    const half = await mi(x, { kind: 'mi', sampling: 0.5 });
    expect(Math.abs(half - self) / self).toBeLessThan(0.1);
  });

  test('MIND-SSC is invariant to an affine intensity map (loss(x, a·x + b) = 0, also a < 0); a shuffled copy is far', async () => {
    expect(
      await loss(
        { kind: 'mind' },
        x,
        x.map((v) => 2 * v + 0.3),
      ),
    ).toBeLessThan(1e-6);
    expect(
      await loss(
        { kind: 'mind' },
        x,
        x.map((v) => 1 - v),
      ),
    ).toBeLessThan(1e-6);
    expect(await loss({ kind: 'mind' }, x, shuffled)).toBeGreaterThan(0.01);
  });

  test('SSIM(x, x) = 1 (loss 0); noise lowers it; MSE(x, x) = 0 and MSE(x, x + 0.1) = 0.01', async () => {
    expect(Math.abs(await loss({ kind: 'ssim' }, x, x))).toBeLessThan(1e-6);
    expect(Math.abs(await loss({ kind: 'ssim', window: 5, sigma: 1 }, x, x))).toBeLessThan(1e-6);
    expect(
      await loss(
        { kind: 'ssim' },
        x,
        x.map((v) => v + 0.2 * (rng.next() - 0.5)),
      ),
    ).toBeGreaterThan(0.01);
    expect(await loss({ kind: 'mse' }, x, x)).toBe(0);
    expect(
      Math.abs(
        (await loss(
          { kind: 'mse' },
          x,
          x.map((v) => v + 0.1),
        )) - 0.01,
      ),
    ).toBeLessThan(1e-12);
  });
});

test('the default NCC is graphs/losses.ts nccLoss node for node (the official loss, bit-identical)', () => {
  const build = (f: (a: never, b: never) => unknown) => {
    const g = new Graph('g');
    const a = g.input('a', 'float32', [1, 1, 8, 8, 8]);
    const b = g.input('b', 'float32', [1, 1, 8, 8, 8]);
    f(a as never, b as never);
    return g.nodes.map((nd) => `${nd.op.name}:${JSON.stringify(nd.attrs)}:${nd.inputs.map((t) => t?.shape.join('x'))}`);
  };
  expect(build((a, b) => similarityLoss({ kind: 'ncc' }, a, b))).toEqual(build((a, b) => nccLoss(a, b)));
});

test('specs: fields of other kinds and default sampling are dropped, bad values name the field, metric names', () => {
  const picked = sampleVoxels(100, 30, 4);
  expect(new Set(picked).size).toBe(30);
  expect(picked.every((v, k) => v >= 0 && v < 100 && (k === 0 || v > picked[k - 1]))).toBe(true);
  expect(normalizeSimilarity({ kind: 'mi', bins: 16, window: 5 })).toEqual({ kind: 'mi', bins: 16 });
  expect(normalizeSimilarity({ kind: 'mi', sampling: 1 })).toEqual({ kind: 'mi' });
  expect(() => normalizeSimilarity({ kind: 'ncc', window: 4 })).toThrow(
    'similarity window must be an odd integer >= 1 (similarity ncc), got 4',
  );
  expect(() => normalizeSimilarity({ kind: 'mi', bins: 1 })).toThrow(/bins must be an integer from 2 to 256/);
  expect(() => normalizeSimilarity({ kind: 'mi', sampling: 0 })).toThrow(/sampling must be a fraction/);
  expect(() => normalizeSimilarity({ kind: 'nmi' as never })).toThrow(
    /similarity must be one of ncc, ncc-global, mi, ssim, mse, mind/,
  );
  expect(SIMILARITIES.map((kind) => similarityTerm({ kind }))).toEqual([
    'loss_ncc',
    'loss_sim_ncc_global',
    'loss_sim_mi',
    'loss_sim_ssim',
    'loss_sim_mse',
    'loss_sim_mind',
  ]);
  expect(similarityTerm({ kind: 'ncc', window: 5 })).toBe('loss_ncc');
});
