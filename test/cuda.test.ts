/**
 * `--ep cuda` without a GPU: onnxruntime-node 1.30 lists the CUDA provider but does not bundle its libraries, so
 * asking for it must fail with the install instruction (never a silent CPU fallback), and keeping the training
 * state on the device is refused (onnxruntime-node keeps only WebGPU outputs on the device; docs/gpus.md, "CUDA").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGvslTrainGraph, GVSL } from '../graphs/build';
import { parseWidths } from '../graphs/unet';
import { createSession } from '../runtime/engine/ort';
import { explainSessionError } from '../runtime/engine/ort';
import { TrainingSession } from '../runtime/engine/session';
import { exportModel } from '../sdk/export';

const providerDir = path.dirname(require.resolve('onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'));
const noCudaLibs = !fs.existsSync(path.join(providerDir, 'libonnxruntime_providers_cuda.so'));

const model = new GVSL(1, parseWidths('8,8,8,8,16,8,8,8,16'));
const train = exportModel(buildGvslTrainGraph(model, [1, 1, 16, 16, 16]).graph, { params: 'inputs' }).model;

(noCudaLibs ? test : test.skip)('without the CUDA provider libraries: an error that says how to install them', async () => {
  let msg = '';
  try {
    await createSession(train, { ep: 'cuda' });
  } catch (e) {
    msg = (e as Error).message;
  }
  expect(msg).toMatch(/Failed to load shared library/);
  const explained = explainSessionError('cuda', msg);
  expect(explained).not.toContain('\n');
  expect(explained).toMatch(/npm install --onnxruntime-node-install=cuda12\), or use --ep cpu$/);
});

test('keepOnDevice is refused on CUDA (and on the CPU) before any session is created on it', async () => {
  await expect(TrainingSession.create(train, model.initStateDict(0), { ep: 'cuda', keepOnDevice: true })).rejects.toThrow(/^keepOnDevice needs the WebGPU execution provider .* not 'cuda'$/);
  await expect(TrainingSession.create(train, model.initStateDict(0), { keepOnDevice: true })).rejects.toThrow(/not 'cpu'$/);
});
