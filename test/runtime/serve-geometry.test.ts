/**
 * Serving geometry (runtime/serve): float16 bits, the model grid (fit and resampling through world
 * coordinates), and the meaning of GVSL's outputs. The mapping test runs the real `gvsl` graph on a LINEAR
 * moving image, which trilinear sampling reproduces exactly wherever every corner it reads is inside the
 * volume: there the network's warp_BA must equal the ramp evaluated at the moving positions that
 * displacementField / warpThroughField compute, for both geometries and non-trivial grid affines.
 */
import * as ort from 'onnxruntime-node';
import { buildGvslGraph, GVSL } from '../../graphs/build';
import type { Geometry } from '../../graphs/gvsl';
import { parseWidths } from '../../graphs/unet';
import { apply4, invertAffine, mul4 } from '../../runtime/data/affine';
import { makePhantom } from '../../runtime/data/phantom';
import { reorient } from '../../runtime/data/orient';
import { makeVolume, type Dims3, type Volume } from '../../runtime/data/volume';
import { centredGrid, fitSpacing, resampleOnto } from '../../runtime/serve/grid';
import { fromHalfBits, toHalfBits } from '../../sdk/half';
import { affineVoxelMap, displacementField, warpThroughField, worldAffine } from '../../runtime/serve/mapping';
import { prepareVolumes } from '../../runtime/serve/pipeline';
import { exportModel } from '../../sdk/export';
import { Rng } from '../../sdk/nn/rng';

const TINY = parseWidths('8,8,8,8,16,8,8,8,16');

test('float16 bits: exact values, round to nearest even, subnormals, overflow', () => {
  for (const v of [0, 1, -2, 0.5, 65504, 2 ** -14, 2 ** -24, 1 + 2 ** -10]) expect(fromHalfBits(toHalfBits(v))).toBe(v);
  expect(toHalfBits(1 + 2 ** -11)).toBe(toHalfBits(1)); // tie → even mantissa
  expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(toHalfBits(1 + 2 ** -9)); // tie → even (up)
  expect(fromHalfBits(toHalfBits(65520))).toBe(Infinity);
  expect(fromHalfBits(toHalfBits(-1e6))).toBe(-Infinity);
  expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
  expect(fromHalfBits(toHalfBits(3 * 2 ** -25))).toBe(2 ** -23); // subnormal tie → even
  expect(Object.is(fromHalfBits(toHalfBits(-0)), -0)).toBe(true);
});

/** An oblique, LPS-ish affine: rotation about z by 20°, flips, anisotropic spacing, an origin. */
function obliqueAffine(spacing: [number, number, number], origin: [number, number, number]): number[] {
  const [c, s] = [Math.cos(0.35), Math.sin(0.35)];
  const [sw, sh, sd] = [spacing[2], spacing[1], spacing[0]];
  return [-c * sw, s * sh, 0, origin[0], -s * sw, -c * sh, 0, origin[1], 0, 0, sd, origin[2], 0, 0, 0, 1];
}

test('the model grid: the fields of view fit, centred, at one isotropic spacing; resampling goes through world coordinates', () => {
  const a = makeVolume(new Float32Array(40 * 30 * 20), [40, 30, 20], [1, 2, 3]);
  const b = makeVolume(new Float32Array(10 * 10 * 10), [10, 10, 10], [1, 1, 1]);
  expect(fitSpacing([a, b], [16, 16, 16])).toBeCloseTo(60 / 16, 12); // the largest extent is 60 mm (w: 20 x 3)
  expect(fitSpacing([b], [16, 16, 16], 3)).toBe(3); // never finer than the training spacing
  // A volume whose voxels hold their world x: resampled, every grid voxel holds its own world x (inside).
  const dims: Dims3 = [12, 14, 16];
  const vol: Volume = {
    ...makeVolume(new Float32Array(12 * 14 * 16), dims, [2, 1.5, 1]),
    affine: obliqueAffine([2, 1.5, 1], [10, -20, 5]),
  };
  let i = 0;
  for (let d = 0; d < 12; d++)
    for (let h = 0; h < 14; h++) for (let w = 0; w < 16; w++) vol.data[i++] = apply4(vol.affine, [w, h, d])[0];
  const ras = reorient(vol, 'RAS');
  const t = fitSpacing([ras], [8, 8, 8]);
  const g = centredGrid(ras, [8, 8, 8], t);
  const out = resampleOnto(ras, g.dims, g.affine);
  const toSrc = mul4(invertAffine(ras.affine), g.affine);
  i = 0;
  let checked = 0;
  for (let d = 0; d < 8; d++)
    for (let h = 0; h < 8; h++)
      for (let w = 0; w < 8; w++, i++) {
        const s = apply4(toSrc, [w, h, d]);
        if (s.some((v, k) => v < 0 || v > ras.dims[2 - k] - 1)) continue;
        expect(out.data[i]).toBeCloseTo(apply4(g.affine, [w, h, d])[0], 3);
        checked++;
      }
  expect(checked).toBeGreaterThan(100);
  // The grid is centred on the field of view: the grid centre maps to the volume centre.
  const centre = apply4(g.affine, [3.5, 3.5, 3.5]);
  const vc = apply4(ras.affine, [(ras.dims[2] - 1) / 2, (ras.dims[1] - 1) / 2, (ras.dims[0] - 1) / 2]);
  centre.forEach((v, k) => expect(v).toBeCloseTo(vc[k], 9));
});

test('prepareVolumes says what it did', () => {
  const big = makePhantom({ dims: [40, 48, 36], seed: 1, spacing: [2, 2, 2] });
  const small = makePhantom({ dims: [10, 12, 8], seed: 2, spacing: [1, 1, 1] });
  const spec = { staticDims: null, size: [16, 16, 16] as Dims3, minSpacing: 0, name: 'm' };
  const p = prepareVolumes([big, small], spec, { normalize: 'none' });
  expect(p.fit.mode).toBe('resample');
  expect(p.fit.spacing[0]).toBeCloseTo(6, 9); // 48 voxels x 2 mm in 16 voxels
  expect(p.fit.description).toMatch(/resampled to the model grid 16x16x16 at 6 mm isotropic/);
  expect(p.fit.description).toMatch(
    /phantom\(seed 1\) 36x48x40 at 2 mm downsampled; phantom\(seed 2\) 8x12x10 at 1 mm downsampled/,
  );
  expect(p.inputs.map((v) => v.dims)).toEqual([
    [16, 16, 16],
    [16, 16, 16],
  ]);
  expect(() => prepareVolumes([big, small], spec, { fit: 'none', normalize: 'none' })).toThrow(
    /fit 'none' needs every volume on a grid of one size/,
  );
  expect(() =>
    prepareVolumes([big], { ...spec, staticDims: [16, 16, 16] }, { fit: 'none', normalize: 'none' }),
  ).toThrow(/36x48x40 voxels \(in RAS order\), but m takes 16x16x16 \(a static shape\): use fit 'resample'/);
});

/** GVSL weights whose heads give a clearly non-trivial affine matrix and flow. */
function boldWeights(model: GVSL, seed: number) {
  const sd = model.initStateDict(seed);
  const rng = new Rng(seed + 7);
  const set = (k: string, f: (i: number) => number) => {
    const t = sd.get(k)!;
    t.data = Float32Array.from({ length: t.data.length }, (_, i) => f(i));
  };
  set('fc_rot.bias', (i) => [0.5, -0.3, 0.4][i]);
  set('fc_scl.bias', (i) => [0.2, -0.3, 0.1][i]);
  set('fc_trans.bias', (i) => [0.15, -0.1, 0.2][i]);
  set('fc_shear.bias', (i) => [0.3, -0.2, 0.1, 0.2, -0.4, 0.3][i]);
  set('out_flow.weight', () => rng.normal() * 0.05);
  set('out_flow.bias', (i) => [0.8, -0.6, 1.1][i]);
  return sd;
}

async function runGvsl(geometry: Geometry, dims: Dims3, A: Float32Array, B: Float32Array) {
  const model = new GVSL(1, TINY, { geometry });
  const g = buildGvslGraph(model, [1, 1, ...dims]);
  const s = await ort.InferenceSession.create(exportModel(g, { weights: boldWeights(model, 3) }).model);
  const out = await s.run({
    A: new ort.Tensor('float32', A, [1, 1, ...dims]),
    B: new ort.Tensor('float32', B, [1, 1, ...dims]),
  });
  await s.release();
  return {
    warp: out.warp_BA.data as Float32Array,
    aff: out.aff_mat_BA.data as Float32Array,
    flow: out.flow_BA.data as Float32Array,
  };
}

describe.each<Geometry>(['exact', 'official'])('what the outputs mean (geometry %s)', (geometry) => {
  test('warp_BA of a linear moving image equals the ramp at the positions of displacementField and warpThroughField', async () => {
    const dims: Dims3 = [12, 16, 20];
    const [D, H, W] = dims;
    const n = D * H * W;
    const ramp = (w: number, h: number, d: number) => 0.05 * d - 0.03 * h + 0.02 * w + 0.1;
    const A = makePhantom({ dims, seed: 4 }).data;
    const B = new Float32Array(n);
    let i = 0;
    for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) B[i++] = ramp(w, h, d);
    const out = await runGvsl(geometry, dims, A, B);
    const aff = affineVoxelMap(out.aff, dims, geometry);
    expect(Math.abs(aff[3]) + Math.abs(aff[7]) + Math.abs(aff[11])).toBeGreaterThan(0.5); // a real translation
    // Grid affines of the fixed and moving model grids: different oblique frames, isotropic 3 mm.
    const Af = obliqueAffine([3, 3, 3], [5, 7, -9]);
    const Am = mul4(
      [1, 0, 0, 40, 0, 0, -1, 10, 0, 1, 0, -30, 0, 0, 0, 1],
      [3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1],
    );
    const disp = displacementField(out.flow, out.aff, dims, Af, Am, geometry);
    const toMoving = invertAffine(Am);
    const fixedGrid = { dims, affine: Af };
    const movingVol: Volume = { data: B, dims, affine: Am, spacing: [3, 3, 3] };
    const warped = warpThroughField(movingVol, fixedGrid, disp);
    const inside = (q: number[], margin = 1e-3) => q.every((v, k) => v >= margin && v <= [W, H, D][k] - 1 - margin);
    const official = geometry === 'official';
    let checked = 0;
    let maxFlow = 0;
    i = 0;
    for (let d = 0; d < D; d++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++, i++) {
          const X = apply4(Af, [w, h, d]);
          const q = apply4(toMoving, [X[0] + disp.data[i], X[1] + disp.data[n + i], X[2] + disp.data[2 * n + i]]);
          maxFlow = Math.max(maxFlow, Math.abs(out.flow[i]), Math.abs(out.flow[n + i]), Math.abs(out.flow[2 * n + i]));
          if (!inside(q)) continue;
          if (official) {
            // Two samplings: every corner of r must read the affine-warped image inside the volume.
            const k = [W / (W - 1), H / (H - 1), D / (D - 1)];
            const r = [w + out.flow[2 * n + i], h + out.flow[n + i], d + out.flow[i]].map((v, a) => v * k[a] - 0.5);
            if (!inside(r)) continue;
            const f = r.map(Math.floor);
            let ok = true;
            for (let c = 0; c < 8; c++)
              ok &&= inside(apply4(aff, [f[0] + (c & 1), f[1] + ((c >> 1) & 1), f[2] + ((c >> 2) & 1)]), 0);
            if (!ok) continue;
          }
          expect(Math.abs(out.warp[i] - ramp(q[0], q[1], q[2]))).toBeLessThan(2e-5);
          expect(Math.abs(warped.data[i] - out.warp[i])).toBeLessThan(2e-5);
          checked++;
        }
    expect(maxFlow).toBeGreaterThan(0.5);
    expect(checked).toBeGreaterThan(n / 4);
    // The affine part alone: with a zero flow the field is worldAffine(x) − x (exact geometry; official's
    // zero flow is not the identity).
    if (!official) {
      const zero = displacementField(new Float32Array(3 * n), out.aff, dims, Af, Am, geometry);
      const wa = worldAffine(out.aff, dims, Af, Am, geometry);
      const X = apply4(Af, [3, 5, 7]);
      const j = (7 * H + 5) * W + 3;
      apply4(wa, X).forEach((v, c) => expect(zero.data[c * n + j]).toBeCloseTo(v - X[c], 4));
    }
  });
});
