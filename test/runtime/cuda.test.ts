/**
 * `--ep cuda` without a GPU: onnxruntime-node 1.30 lists the CUDA provider but does not bundle its libraries, so
 * asking for it must fail with the install instruction (never a silent CPU fallback), and keeping the training
 * state on the device is refused (onnxruntime-node keeps only WebGPU outputs on the device; docs/gpus.md, "CUDA").
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildGvslTrainGraph, GVSL } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import { createSession, explainSessionError } from '../../runtime/engine/ort';
import { TrainingSession } from '../../runtime/engine/session';
import { exportModel } from '../../sdk/export';
import { ROOT } from '../helpers/paths';

const providerDir = path.dirname(require.resolve('onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'));
const noCudaLibs = !fs.existsSync(path.join(providerDir, 'libonnxruntime_providers_cuda.so'));

const model = new GVSL(1, parseWidths('8,8,8,8,16,8,8,8,16'));
const train = exportModel(buildGvslTrainGraph(model, [1, 1, 16, 16, 16]).graph, { params: 'inputs' }).model;

/**
 * createSession on 'cuda' from the compiled build in a child process: ONNX Runtime's native loader also prints
 * "Failed to load library …" on the process's stderr, which is captured there instead of reaching the test
 * output. Returns the error message createSession threw and that stderr.
 */
function cudaSessionInChild(): { message: string; stderr: string } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cuda-')), 'train.onnx');
  fs.writeFileSync(file, train);
  const script = `require(${JSON.stringify(path.join(ROOT, 'dist', 'runtime', 'engine', 'ort.js'))}).createSession(${JSON.stringify(file)}, { ep: 'cuda' })
    .then(() => console.log(JSON.stringify({ message: '' })), (e) => console.log(JSON.stringify({ message: e.message })));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  return { message: (JSON.parse(r.stdout.trim().split('\n').pop()!) as { message: string }).message, stderr: r.stderr };
}

const built = fs.existsSync(path.join(ROOT, 'dist', 'runtime', 'engine', 'ort.js'));

(noCudaLibs ? test : test.skip)(
  'without the CUDA provider libraries: an error that says how to install them',
  async () => {
    let msg = '';
    if (built) {
      const r = cudaSessionInChild();
      msg = r.message;
    } else {
      try {
        await createSession(train, { ep: 'cuda' });
      } catch (e) {
        msg = (e as Error).message;
      }
    }
    expect(msg).toMatch(/Failed to load shared library/);
    const explained = explainSessionError('cuda', msg);
    expect(explained).not.toContain('\n');
    expect(explained).toMatch(
      /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\), or use --ep cpu$/,
    );
  },
);

test('keepOnDevice is refused on CUDA (and on the CPU) before any session is created on it', async () => {
  await expect(
    TrainingSession.create(train, model.initStateDict(0), { ep: 'cuda', keepOnDevice: true }),
  ).rejects.toThrow(/^keepOnDevice needs the WebGPU execution provider .* not 'cuda'$/);
  await expect(TrainingSession.create(train, model.initStateDict(0), { keepOnDevice: true })).rejects.toThrow(
    /not 'cpu'$/,
  );
});
