/**
 * `onnx-train export` through the compiled CLI (npm test builds first): --help, --version, the three models,
 * --weights with a real PyTorch .pth, --external-data, and one clear line for each kind of bad input.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GVSL, parseWidths } from '../../graphs';
import { loadSafetensors } from '../../runtime/checkpoint/safetensors';
import { createSession, runSession } from '../../runtime/engine/ort';
import type { NamedArray } from '../../sdk/state';
import { checkModelFiles } from '../helpers/onnx-checker';
import { relErr } from '../helpers/compare';
import { type CliResult as Result, ROOT, runCli as cli } from '../helpers/cli';
import { TEST_DATA } from '../helpers/paths';

const DATA = TEST_DATA;
const TINY = ['--chan', '8,8,8,8,16,8,8,8,16', '--shape', '1,1,16,16,16'];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cli-export-'));

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'cli', 'index.js'))) {
    throw new Error('dist/runtime/cli/index.js is missing: run `npm run build` first (npm test does)');
  }
});

/** A failure caused by the user: exit code 1 and exactly one line on stderr, no stack trace. */
function expectOneLineError(r: Result, pattern: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^onnx-train: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |\.js:\d+/);
}

test("--help lists the export command; --version prints package.json's version", async () => {
  const [help, version, exportHelp] = await Promise.all([
    cli(['--help']),
    cli(['--version']),
    cli(['export', '--help']),
  ]);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/onnx-train export\s+Export a GVSL graph/);
  expect(version.code).toBe(0);
  expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  expect(exportHelp.code).toBe(0);
  for (const o of ['--model', '--chan', '--shape', '--geometry', '--weights', '--out', '--external-data'])
    expect(exportHelp.stdout).toContain(o);
});

test('export --model gvsl | unet | gvsl-train writes models that load in onnxruntime-node and pass the ONNX checker', async () => {
  const dir = tmp();
  const out = (m: string) => path.join(dir, `${m}.onnx`);
  const runs = await Promise.all(
    ['gvsl', 'unet', 'gvsl-train'].map((m) => cli(['export', '--model', m, ...TINY, '--out', out(m)])),
  );
  for (const r of runs) {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote /);
  }
  const inputs: Record<string, string[]> = {
    gvsl: ['A', 'B'],
    unet: ['x'],
    'gvsl-train': ['img_aug', 'img', 'img2', 'lr', 'step', 'unet.inc.double_conv.0.weight', 'adam.m.fc_rot.bias'],
  };
  const outputs: Record<string, string[]> = {
    gvsl: ['res_A', 'warp_BA', 'aff_mat_BA', 'flow_BA'],
    unet: ['global', 'local'],
    'gvsl-train': ['loss', 'loss_ncc', 'loss_mse', 'loss_smooth', 'new.fc_rot.bias', 'new.adam.v.fc_rot.bias'],
  };
  for (const m of Object.keys(inputs)) {
    const s = await createSession(out(m), { graphOptimizationLevel: 'disabled' });
    expect(s.inputNames).toEqual(expect.arrayContaining(inputs[m]));
    expect(s.outputNames).toEqual(expect.arrayContaining(outputs[m]));
    if (m !== 'gvsl-train') expect(s.inputNames).toEqual(inputs[m]);
    await s.release();
  }
  // The training graph's starting state: every parameter and its Adam moments (zero), with chan/shape/geometry metadata.
  const state = loadSafetensors(path.join(dir, 'gvsl-train.state.safetensors'));
  expect(state.metadata).toEqual({ chan: '8,8,8,8,16,8,8,8,16', shape: '1,1,16,16,16', geometry: 'exact', step: '0' });
  expect(state.tensors.get('fc_shear.weight')!.shape).toEqual([6, 8]);
  expect([...state.tensors.get('adam.v.fc_shear.weight')!.data].every((v) => v === 0)).toBe(true);
  expect(state.tensors.size).toBe(3 * [...state.tensors.keys()].filter((k) => !k.startsWith('adam.')).length);
  // Parameters in state_dict order, each followed by its Adam moments.
  const params = [...new GVSL(1, parseWidths('8,8,8,8,16,8,8,8,16')).paramSpecs().keys()];
  expect([...state.tensors.keys()]).toEqual(params.flatMap((p) => [p, `adam.m.${p}`, `adam.v.${p}`]));
  expect(checkModelFiles(['gvsl', 'unet'].map(out))).toEqual([]);
});

test("--weights embeds a PyTorch .pth (widths read from it): with --geometry official the exported gvsl model reproduces PyTorch's forward", async () => {
  const dir = tmp();
  const fwd = loadSafetensors(path.join(DATA, 'gvsl-narrow-forward.safetensors')).tensors;
  const onnxFile = path.join(dir, 'gvsl.onnx');
  // No --chan: the widths come from the weights' tensor shapes (as register and finetune read them).
  const r = await cli([
    'export',
    '--geometry',
    'official',
    '--shape',
    fwd.get('A')!.shape.join(','),
    '--weights',
    path.join(DATA, 'gvsl-narrow.pth'),
    '--out',
    onnxFile,
  ]);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(
    /^note: --chan 8,8,8,8,16,8,8,8,16 read from the tensor shapes of .*gvsl-narrow\.pth\nnote: .*gvsl-narrow\.pth: converted all 104 tensors from float16 to float32\n$/,
  );
  const s = await createSession(onnxFile);
  const out = await runSession(s, { A: fwd.get('A')!, B: fwd.get('B')! });
  await s.release();
  for (const [ours, theirs] of [
    ['res_A', 'res'],
    ['warp_BA', 'warp'],
    ['aff_mat_BA', 'aff'],
    ['flow_BA', 'flow'],
  ]) {
    expect(relErr(out[ours], fwd.get(theirs)!)).toBeLessThan(1e-4);
  }
});

test('--external-data writes <out>.data, and the model gives the same outputs as with embedded weights', async () => {
  const dir = tmp();
  const [a, b] = [path.join(dir, 'embedded.onnx'), path.join(dir, 'ext.onnx')];
  const rs = await Promise.all([
    cli(['export', '--model', 'unet', ...TINY, '--seed', '3', '--out', a]),
    cli(['export', '--model', 'unet', ...TINY, '--seed', '3', '--external-data', '--out', b]),
  ]);
  for (const r of rs) expect(r.code).toBe(0);
  expect(rs[1].stdout).toContain('weights in ext.onnx.data');
  expect(fs.existsSync(`${b}.data`)).toBe(true);
  // The weights moved out: the model shrank by (about) the side file's size.
  const data = fs.statSync(`${b}.data`).size;
  expect(data).toBeGreaterThan(4 * 50_000); // most of the U-Net's ~54k parameters (tensors under 1 kB stay inline)
  expect(fs.statSync(b).size).toBeLessThan(fs.statSync(a).size - 0.95 * data);
  const x: NamedArray = {
    dtype: 'float32',
    shape: [1, 1, 16, 16, 16],
    data: Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i * 0.01)),
  };
  const results = [];
  for (const f of [a, b]) {
    const s = await createSession(f);
    results.push(await runSession(s, { x }));
    await s.release();
  }
  expect(results[1].local.data).toEqual(results[0].local.data);
  expect(results[1].global.data).toEqual(results[0].global.data);
});

test('bad input: one line on stderr, exit code 1, no stack trace', async () => {
  const dir = tmp();
  const out = ['--out', path.join(dir, 'm.onnx')];
  const [chan, chanCount, shape, flat, tooBig, missing, wrongWidths, notWeights] = await Promise.all([
    cli(['export', '--chan', '8,8,8,8,16,8,8,8,12', ...out]),
    cli(['export', '--chan', '8,8,8', ...out]),
    cli(['export', '--chan', '8,8,8,8,16,8,8,8,16', '--shape', '1,1,16,16', ...out]),
    cli(['export', '--geometry', 'official', '--chan', '8,8,8,8,16,8,8,8,16', '--shape', '1,1,1,16,16', ...out]),
    cli(['export', '--chan', '8,8,8,8,16,8,8,8,16', '--shape', '65,1,64,64,64', ...out]),
    cli(['export', ...TINY, '--weights', path.join(dir, 'nope.pth'), ...out]),
    cli([
      'export',
      '--chan',
      '8,16,16,32,32,32,16,16,16',
      '--shape',
      '1,1,16,16,16',
      '--weights',
      path.join(DATA, 'gvsl-narrow.pth'),
      ...out,
    ]),
    cli(['export', ...TINY, '--weights', path.join(DATA, 'make_gvsl_pth.py'), ...out]),
  ]);
  expectOneLineError(chan, /multiples of 8 .*: 12$/m);
  expectOneLineError(chanCount, /--chan expects nine comma-separated positive integers/);
  expectOneLineError(shape, /--shape needs N,C,D,H,W .* got '1,1,16,16'/);
  expectOneLineError(flat, /flowWarpOfficial .*every spatial size must be at least 2; got 1x16x16$/m);
  expectOneLineError(tooBig, /trilinearSample .*65x64x64x64 voxels exceed/);
  expectOneLineError(missing, /weights file .*nope\.pth does not exist/);
  expectOneLineError(
    wrongWidths,
    /gvsl-narrow\.pth does not fit this model: size mismatch for unet\.down1\.maxpool_conv\.1\.double_conv\.0\.weight: copying a param with shape \[8, 8, 3, 3, 3\] from checkpoint, the shape in current model is \[16, 8, 3, 3, 3\]\./,
  );
  expectOneLineError(notWeights, /make_gvsl_pth\.py: unknown weights format/);
  expect(fs.readdirSync(dir)).toEqual([]);
});
