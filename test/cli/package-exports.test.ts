/**
 * The package's public entry points, resolved the way a user's code resolves them: a fresh Node process that
 * `require`s `gvsl-onnx`, `gvsl-onnx/graphs`, … by name (Node's self-reference through package.json "exports"),
 * against the compiled dist/ (`npm test` runs tsc first).
 */
import { execFileSync } from 'node:child_process';
import { ROOT } from '../helpers/paths';

const root = ROOT;

const script = `
const out = {};
for (const [spec, names] of Object.entries(${JSON.stringify({
  'gvsl-onnx': ['Graph', 'nn', 'F', 'ops', 'grad', 'saveModel'],
  'gvsl-onnx/graphs': ['GVSL', 'SegNet', 'buildGvslGraph', 'buildGvslTrainGraph', 'composedWarp', 'nccLoss'],
  'gvsl-onnx/serve': ['loadModel', 'convertToFloat16', 'displacementField'],
  'gvsl-onnx/data': ['readNifti', 'writeNifti', 'reorient', 'resample', 'normalize'],
  'gvsl-onnx/checkpoint': ['loadWeights', 'saveSafetensors', 'loadPth', 'loadModelWeights'],
  'gvsl-onnx/train': ['buildTraining', 'programFromStepGraph', 'Trainer', 'schedules'],
})})) {
  const m = require(spec);
  out[spec] = names.filter((n) => m[n] === undefined);
}
process.stdout.write(JSON.stringify(out));
`;

test('every documented entry point resolves by package name and exports its documented functions', () => {
  const missing = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })) as Record<
    string,
    string[]
  >;
  expect(missing).toEqual({
    'gvsl-onnx': [],
    'gvsl-onnx/graphs': [],
    'gvsl-onnx/serve': [],
    'gvsl-onnx/data': [],
    'gvsl-onnx/checkpoint': [],
    'gvsl-onnx/train': [],
  });
});

test('a small GVSL built through the public entry points exports and runs in ONNX Runtime', () => {
  const run = `
const { exportModel } = require('gvsl-onnx');
const { GVSL, buildGvslGraph } = require('gvsl-onnx/graphs');
const ort = require('onnxruntime-node');
(async () => {
  const model = new GVSL(1, [8, 16, 16, 16, 16, 16, 16, 16, 16]);
  const g = buildGvslGraph(model, [1, 1, 16, 16, 16]);
  const { model: bytes } = exportModel(g, { weights: model.initStateDict(0) });
  const s = await ort.InferenceSession.create(bytes);
  const x = new ort.Tensor('float32', new Float32Array(4096).fill(0.5), [1, 1, 16, 16, 16]);
  const r = await s.run({ A: x, B: x });
  process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.dims]))));
})();`;
  const dims = JSON.parse(execFileSync(process.execPath, ['-e', run], { cwd: root, encoding: 'utf8' })) as Record<
    string,
    number[]
  >;
  expect(dims).toEqual({
    res_A: [1, 1, 16, 16, 16],
    warp_BA: [1, 1, 16, 16, 16],
    aff_mat_BA: [1, 3, 4],
    flow_BA: [1, 3, 16, 16, 16],
  });
});

test('GVSL widths that its heads cannot use fail at construction, naming them', () => {
  const { GVSL } = require('../../graphs') as typeof import('../../graphs');
  expect(() => new GVSL(1, [8, 16, 16, 16, 16, 16, 16, 16, 8])).toThrow(
    'c4 and c8 must be multiples of 16 (the GVSL heads use c/2 channels with c/16 groups), got c4=16, c8=8',
  );
});
