/**
 * The serving API (runtime/serve) and `onnx-train register`: NIfTI in → register → NIfTI out with the
 * affines preserved, the three kinds of model source giving the same answer, features, float16 export
 * against float32 (stated tolerance), and one clear error for each model/volume mismatch and for a missing
 * WebGPU adapter. Tiny widths and 16³ grids keep it fast.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildGvslGraph, buildUnetGraph, GVSL, gvslDocString } from '../../graphs/build';
import { buildSegGraph, SegNet } from '../../graphs/seg';
import { parseWidths } from '../../graphs/unet';
import { saveSafetensors } from '../../runtime/checkpoint/safetensors';
import { makePhantom, readNifti, writeNifti, type Volume } from '../../runtime/data';
import { saveCheckpoint } from '../../runtime/engine/checkpoint';
import { convertToFloat16, GVSL_FLOAT16 } from '../../runtime/serve/fp16';
import { loadModel } from '../../runtime/serve/model';
import { decodeOnnx, encodeModel, readOnnx } from '../../runtime/engine/onnx-file';
import { writeRegistration } from '../../runtime/serve/write';
import { exportModel, saveModel } from '../../sdk/export';
import type { StateDict } from '../../sdk/state';
import { checkModelFiles, haveOnnxChecker } from '../helpers/onnx-checker';
import { type CliResult as Result, ROOT, runCli as cli } from '../helpers/cli';
import { haveWebGpu } from '../helpers/webgpu';

const CHAN = '8,8,8,8,16,8,8,8,16';
const TINY = parseWidths(CHAN);
const GRID = [1, 1, 16, 16, 16] as const;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-'));
const f = (name: string) => path.join(dir, name);

/** Trained-looking weights: a seeded initialisation whose heads give a non-trivial affine matrix and flow. */
function weights(model: GVSL): StateDict {
  const sd = model.initStateDict(5);
  const set = (k: string, v: number[]) => (sd.get(k)!.data = Float32Array.from(v));
  set('fc_rot.bias', [0.3, -0.2, 0.25]);
  set('fc_trans.bias', [0.5, -0.4, 0.3]);
  set('out_flow.bias', [0.4, -0.3, 0.5]);
  return sd;
}

/** Head phantoms stored LPS (fixed) and oblique with another spacing (moving), as scanners write them. */
function volumes() {
  const fixed = makePhantom({ dims: [20, 24, 18], seed: 1, spacing: [2, 2, 2] });
  fixed.affine = [-2, 0, 0, 17, 0, -2, 0, 23, 0, 0, 2, -19, 0, 0, 0, 1];
  const moving = makePhantom({ dims: [26, 30, 22], seed: 2, spacing: [1.5, 1.5, 1.5] });
  const [c, s] = [Math.cos(0.2), Math.sin(0.2)];
  moving.affine = [1.5 * c, -1.5 * s, 0, -10, 1.5 * s, 1.5 * c, 0, -20, 0, 0, 1.5, 5, 0, 0, 0, 1];
  writeNifti(f('fixed.nii.gz'), fixed);
  writeNifti(f('moving.nii.gz'), moving);
  return { fixed: readNifti(f('fixed.nii.gz')), moving: readNifti(f('moving.nii.gz')) };
}

let vols: { fixed: Volume; moving: Volume };
const model = new GVSL(1, TINY, { geometry: 'exact' });
const sd = weights(model);

beforeAll(() => {
  vols = volumes();
  // The same weights four ways: gvsl.onnx with external data, unet.onnx, safetensors, and a run folder.
  saveModel(buildGvslGraph(model, GRID), f('gvsl.onnx'), {
    weights: sd,
    externalData: true,
    docString: gvslDocString(model),
  });
  saveModel(buildUnetGraph(model.unet, GRID), f('unet.onnx'), { weights: sd });
  saveSafetensors(f('weights.safetensors'), sd, { geometry: 'exact' });
  const run = f('run');
  fs.mkdirSync(run);
  const cfg = { chan: [...TINY], size: [16, 16, 16], geometry: 'exact', normalize: 'mr-percentile', spacing: 2 };
  fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify(cfg));
  saveCheckpoint(run, sd, { config: cfg, step: 1 });
  fs.copyFileSync(f('gvsl.onnx'), path.join(run, 'gvsl.onnx'));
  fs.copyFileSync(f('gvsl.onnx.data'), path.join(run, 'gvsl.onnx.data'));
  // One file with everything inside, its float16 conversion, and a graph whose parameters are not GVSL's.
  const full = exportModel(buildGvslGraph(model, GRID), { weights: sd, docString: gvslDocString(model) }).model;
  fs.writeFileSync(f('static.onnx'), full);
  fs.writeFileSync(f('gvsl-fp16.onnx'), encodeModel(convertToFloat16(decodeOnnx(full), GVSL_FLOAT16)));
  const other = decodeOnnx(full);
  const params = new Set(other.graph.initializer.map((t) => t.name).filter((k) => k.startsWith('unet.')));
  for (const t of other.graph.initializer) if (params.has(t.name)) t.name = `backbone.${t.name}`;
  for (const n of other.graph.node) n.input = n.input.map((x) => (params.has(x) ? `backbone.${x}` : x));
  fs.writeFileSync(f('other.onnx'), encodeModel(other));
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const maxAbs = (a: ArrayLike<number>) => maxAbsDiff(a, new Float32Array(a.length));

test('NIfTI in → register → NIfTI out: affines preserved, the displacement a 5-D vector NIfTI (intent 1007)', async () => {
  const m = await loadModel(f('gvsl.onnx'));
  expect(m.describe()).toMatch(/gvsl\.onnx: GVSL widths 8,8,8,8,16,8,8,8,16, geometry exact; exported gvsl 16x16x16/);
  const r = await m.register(vols.fixed, vols.moving);
  await m.release();
  expect(r.fit.mode).toBe('resample');
  expect(r.fit.description).toMatch(
    /^resampled to the model grid 16x16x16 at 3 mm isotropic \(.*fixed\.nii\.gz 18x24x20 at 2 mm downsampled; .*moving\.nii\.gz 22x30x26 at 1\.5 mm downsampled/,
  );
  expect(maxAbs(r.flow.data)).toBeGreaterThan(0.1);
  const out = f('out-api');
  const files = writeRegistration(out, r);
  const warped = readNifti(files.warped!);
  expect(warped.dims).toEqual(vols.fixed.dims);
  expect(warped.affine).toEqual(vols.fixed.affine); // the fixed image's own grid, to the bit
  expect(maxAbsDiff(warped.data, r.warped!.data)).toBe(0);
  // The displacement: 5-D, three components, on the fixed model grid, in mm.
  const bytes = require('node:zlib').gunzipSync(fs.readFileSync(files.displacement));
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  expect([0, 1, 2, 3, 4, 5].map((k) => view.getInt16(40 + 2 * k, true))).toEqual([5, 16, 16, 16, 1, 3]);
  expect(view.getInt16(68, true)).toBe(1007);
  for (let c = 0; c < 3; c++) {
    const comp = readNifti(files.displacement, { volume: c });
    expect(comp.dims).toEqual([16, 16, 16]);
    expect(maxAbsDiff(comp.affine, r.model.fixed.affine)).toBeLessThan(1e-4);
    expect(maxAbsDiff(comp.data, r.displacement.data.subarray(c * 4096, (c + 1) * 4096))).toBe(0);
  }
  const mf = readNifti(files.model.fixed);
  expect(maxAbsDiff(mf.affine, r.model.fixed.affine)).toBeLessThan(1e-4);
  const json = JSON.parse(fs.readFileSync(files.transform, 'utf8'));
  expect(json.geometry).toBe('exact');
  expect(json.affine).toHaveLength(3);
  expect(json.worldAffine[3]).toEqual([0, 0, 0, 1]);
  expect(json.fit.description).toBe(r.fit.description);
});

test('an ONNX file, its weights, a run folder and a rebuilt graph give the same registration; features', async () => {
  const results = [];
  for (const src of [f('gvsl.onnx'), f('weights.safetensors'), f('run')]) {
    const m = await loadModel(src, { size: 16, spacing: 0, normalize: { preset: 'mr-percentile' } });
    results.push(await m.register(vols.fixed, vols.moving, { warpOriginal: false }));
    await m.release();
  }
  for (const r of results.slice(1)) {
    expect(maxAbsDiff(r.model.warped.data, results[0].model.warped.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(r.flow.data, results[0].flow.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(r.affine, results[0].affine)).toBeLessThan(1e-6);
  }
  // The run folder's training spacing (2 mm) is a floor: here the fields of view need more, so no change.
  // A checkpoint builds its graph for any grid: 24³ from the weights, fit 'none' on equal grids.
  const m = await loadModel(f('weights.safetensors'), { size: 24 });
  expect(m.describe()).toMatch(
    /weights\.safetensors: GVSL widths 8,8,8,8,16,8,8,8,16, geometry exact; no exported graph, graphs for other grids built/,
  );
  const r24 = await m.register(vols.fixed, vols.moving, { warpOriginal: false });
  expect(r24.model.warped.dims).toEqual([24, 24, 24]);
  const same = await m.register(
    vols.fixed,
    { ...vols.fixed, name: 'fixed again' },
    { fit: 'none', warpOriginal: false },
  );
  expect(same.fit.description).toBe('used as is on the 18x24x20 voxel grid (no resampling)');
  const feats = await m.features(vols.moving);
  expect(feats.local.dims).toEqual([24, 24, 24]);
  expect(feats.local.components).toBe(16);
  expect(feats.global.dims).toEqual([2, 2, 2]);
  expect(feats.global.components).toBe(16);
  // A bottleneck voxel covers 16³ model voxels: its centre sits at model index 16j + 7.5 − pad (pad 4 for 24).
  expect(feats.global.affine[0]).toBeCloseTo(16 * feats.input.affine[0], 9);
  await m.release();
  const unetOnly = await loadModel(f('unet.onnx'));
  const fu = await unetOnly.features(vols.moving);
  const fm = await (await loadModel(f('gvsl.onnx'))).features(vols.moving);
  expect(maxAbsDiff(fu.local.data, fm.local.data)).toBeLessThan(1e-5); // gvsl.onnx: the backbone rebuilt from its weights
  await unetOnly.release();
});

test('model/volume mismatches and wrong model kinds are one clear error each', async () => {
  const m = await loadModel(f('static.onnx'));
  // An ONNX file that is copied alone still rebuilds graphs from its own weights; fit 'none' then needs equal grids.
  await expect(m.register(vols.fixed, vols.moving, { fit: 'none' })).rejects.toThrow(
    /fit 'none' needs every volume on a grid of one size: .*fixed\.nii\.gz is 18x24x20, .*moving\.nii\.gz is 22x30x26; use fit 'resample'/,
  );
  await expect(m.segment(vols.fixed)).rejects.toThrow(
    /is a GVSL pre-training model: segment\(\) needs a fine-tuned segmentation model/,
  );
  await m.release();
  // A graph whose parameters are not GVSL's: usable at its static shape only.
  const o = await loadModel(f('other.onnx'));
  await expect(o.register(vols.fixed, vols.moving, { fit: 'none' })).rejects.toThrow(
    /18x24x20 voxels \(in RAS order\), but .*other\.onnx takes 16x16x16 \(a static shape\): use fit 'resample' \(--fit resample\)/,
  );
  expect((await o.register(vols.fixed, vols.moving, { warpOriginal: false })).model.warped.dims).toEqual([16, 16, 16]);
  await o.release();
  const unet = await loadModel(f('unet.onnx'));
  await expect(unet.register(vols.fixed, vols.moving)).rejects.toThrow(
    /holds the U-Net backbone only: register\(\) needs the GVSL heads/,
  );
  await expect(loadModel(f('nope.onnx'))).rejects.toThrow(/no such model file or run folder/);
  fs.writeFileSync(f('junk.onnx'), 'not a model');
  await expect(loadModel(f('junk.onnx'))).rejects.toThrow(/junk\.onnx: not an ONNX model/);
  fs.mkdirSync(f('empty'), { recursive: true });
  await expect(loadModel(f('empty'))).rejects.toThrow(/not a pre-training run folder/);
  await expect(m.register({ ...vols.fixed, dims: [20, 24] as never }, vols.moving)).rejects.toThrow(
    /expected a 3-D scalar volume/,
  );
});

/**
 * float16 export. Tolerance, stated: every output within 5e-3 of its float32 value relative to the output's
 * largest magnitude, the affine matrix within 1e-3 absolute. float16 keeps 11 significant bits (relative
 * rounding 4.9e-4 per operation); measured here and on the 150-step sample model: 1e-4 … 1e-3 relative.
 */
test('export --fp16: half the weight bytes, float32 interface, within the stated tolerance of float32, ONNX-checker clean', async () => {
  const full = fs.readFileSync(f('static.onnx'));
  const bytes = fs.readFileSync(f('gvsl-fp16.onnx'));
  const half = decodeOnnx(bytes);
  expect(bytes.byteLength).toBeLessThan(full.byteLength * 0.85);
  const inits = half.graph.initializer;
  // Network weights all float16 (constants inside a primitive's lowering, such as GroupNorm's eps, stay float32).
  expect(inits.filter((t) => /^unet\..*\.(weight|bias)$/.test(t.name) && t.dataType === 1).map((t) => t.name)).toEqual(
    [],
  );
  const fp32 = await loadModel(f('static.onnx'));
  const fp16 = await loadModel(f('gvsl-fp16.onnx'));
  const [a, b] = [await fp32.register(vols.fixed, vols.moving), await fp16.register(vols.fixed, vols.moving)];
  for (const [x, y] of [
    [a.model.warped.data, b.model.warped.data],
    [a.flow.data, b.flow.data],
  ]) {
    if (process.env.SERVE_VERBOSE)
      console.log('fp16 relative error', maxAbsDiff(x, y) / maxAbs(x), 'affine', maxAbsDiff(a.affine, b.affine));
    expect(maxAbsDiff(x, y) / maxAbs(x)).toBeLessThan(5e-3);
  }
  expect(maxAbsDiff(a.affine, b.affine)).toBeLessThan(1e-3);
  // The session's own interface: float32 in and out.
  const s = await ort.InferenceSession.create(bytes);
  expect(s.inputMetadata.map((i) => (i.isTensor ? i.type : '?'))).toEqual(['float32', 'float32']);
  await s.release();
  await fp32.release();
  await fp16.release();
  if (haveOnnxChecker()) expect(checkModelFiles([f('gvsl-fp16.onnx')])).toEqual([]);
});

test('segment(): a fine-tuned model tiles any volume and says so; GVSL calls on it are refused', async () => {
  const seg = new SegNet(3, TINY);
  fs.writeFileSync(f('seg.onnx'), exportModel(buildSegGraph(seg, GRID), { weights: seg.initStateDict(1) }).model);
  const m = await loadModel(f('seg.onnx'));
  expect(m.describe()).toMatch(/seg\.onnx: segmentation model/);
  const r = await m.segment(vols.moving);
  expect(r.labels.dims).toEqual(vols.moving.dims);
  expect(r.labels.affine).toEqual(vols.moving.affine);
  expect(r.classes).toBe(3);
  expect(r.tiling).toMatch(/^tiled: sliding windows of 16x16x16 voxels at the volume's own spacing, overlap 0\.25/);
  await expect(m.register(vols.fixed, vols.moving)).rejects.toThrow(
    /is a segmentation model: register\(\) needs a GVSL model/,
  );
  await m.release();
});

/** Exit code 1 and one line from onnx-train (native libraries may print their own warnings first: `native`). */
function expectOneLineError(r: Result, pattern: RegExp, native = false): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  const ours = lines.filter((l) => l.startsWith('onnx-train: '));
  expect(ours).toHaveLength(1);
  if (!native) expect(lines).toHaveLength(1);
  expect(ours[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
}

describe('onnx-train register (compiled CLI)', () => {
  beforeAll(() => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'cli', 'index.js')))
      throw new Error('run `npm run build` first (npm test does)');
  });

  test('a run folder: prints the fit and the affine matrix, writes the NIfTI files', async () => {
    const out = f('out-cli');
    const r = await cli(['register', '--model', f('run'), f('fixed.nii.gz'), f('moving.nii.gz'), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^model: .*run: GVSL widths 8,8,8,8,16,8,8,8,16, geometry exact; exported gvsl 16x16x16/);
    expect(r.stdout).toMatch(/fit: resampled to the model grid 16x16x16 at [\d.]+ mm isotropic/);
    expect(r.stdout).toMatch(
      /affine matrix \(aff_mat_BA, geometry exact: rows and columns \(D, H, W\) about the grid centre, translation in voxels\):\n( {2}\[( +-?\d+\.\d{4}){4} \]\n){3}/,
    );
    expect(r.stdout).toMatch(/affine part in world coordinates \(fixed RAS mm -> moving RAS mm\):/);
    for (const file of [
      'warped.nii.gz',
      'displacement-itk.nii.gz',
      'model/displacement-ras.nii.gz',
      'flow-magnitude.nii.gz',
      'model/fixed.nii.gz',
      'model/moving.nii.gz',
      'model/warped.nii.gz',
      'transform.json',
    ]) {
      expect(fs.existsSync(path.join(out, file))).toBe(true);
    }
    expect(readNifti(path.join(out, 'warped.nii.gz')).affine).toEqual(vols.fixed.affine);
  });

  test('export --fp16 --external-data then register with it; --fp16 refuses the training graph', async () => {
    const out = f('cli-fp16.onnx');
    const e = await cli([
      'export',
      '--model',
      'gvsl',
      '--chan',
      CHAN,
      '--shape',
      '1,1,16,16,16',
      '--fp16',
      '--external-data',
      '--out',
      out,
    ]);
    expect(e.stderr).toBe('');
    expect(e.stdout).toMatch(
      /^wrote .*cli-fp16\.onnx \(float16 network, [\d,]+ bytes, weights in cli-fp16\.onnx\.data\)/,
    );
    expect(fs.existsSync(`${out}.data`)).toBe(true);
    expect(readOnnx(out).graph.initializer.some((t) => t.dataType === 10)).toBe(true);
    const r = await cli([
      'register',
      '--model',
      out,
      f('fixed.nii.gz'),
      f('moving.nii.gz'),
      '--out',
      f('out-fp16'),
      '--no-warp-original',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.existsSync(f('out-fp16/warped.nii.gz'))).toBe(false);
    expectOneLineError(
      await cli([
        'export',
        '--model',
        'gvsl-train',
        '--chan',
        CHAN,
        '--shape',
        '1,1,16,16,16',
        '--fp16',
        '--out',
        f('t.onnx'),
      ]),
      /--fp16 is for the inference graphs/,
    );
  });

  test('one line for a missing model, a size mismatch and a missing WebGPU adapter (what to install)', async () => {
    const base = [f('fixed.nii.gz'), f('moving.nii.gz'), '--out', f('out-err')];
    const [missing, mismatch, gpu] = await Promise.all([
      cli(['register', '--model', f('nothing-here'), ...base]),
      cli(['register', '--model', f('other.onnx'), '--fit', 'none', ...base]),
      cli(['register', '--model', f('gvsl.onnx'), '--ep', 'webgpu', ...base], {
        ...process.env,
        VK_ICD_FILENAMES: '/nonexistent/icd.json',
      }),
    ]);
    expectOneLineError(missing, /nothing-here: no such model file or run folder/);
    expectOneLineError(
      mismatch,
      /fixed\.nii\.gz: 18x24x20 voxels \(in RAS order\), but .*other\.onnx takes 16x16x16 \(a static shape\)/,
    );
    // The Vulkan loader prints its own warnings (no driver found) before our line.
    expectOneLineError(
      gpu,
      /could not create the ONNX Runtime session on 'webgpu': .*No WebGPU adapter was found: install a GPU driver with Vulkan support .* or use --ep cpu/,
      true,
    );
  });
});

(haveWebGpu ? test : test.skip)(
  'WebGPU (SwiftShader): the same registration as the CPU; a float16 model without shader-f16 says so',
  async () => {
    const cpu = await loadModel(f('static.onnx'));
    const gpu = await loadModel(f('static.onnx'), { ep: 'webgpu' });
    const [a, b] = [
      await cpu.register(vols.fixed, vols.moving, { warpOriginal: false }),
      await gpu.register(vols.fixed, vols.moving, { warpOriginal: false }),
    ];
    expect(maxAbsDiff(a.model.warped.data, b.model.warped.data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(a.flow.data, b.flow.data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(a.affine, b.affine)).toBeLessThan(1e-4);
    await cpu.release();
    await gpu.release();
    // SwiftShader's adapter has no shader-f16: the float16 model cannot run there, and the error says what to use.
    const half = await loadModel(f('gvsl-fp16.onnx'), { ep: 'webgpu' });
    await expect(half.register(vols.fixed, vols.moving)).rejects.toThrow(
      /no shader-f16 support; use the float32 model \(export without --fp16\)/,
    );
    await half.release();
  },
);
