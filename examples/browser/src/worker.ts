/// <reference lib="webworker" />
// Inference off the main thread: NIfTI bytes → the project's serving pipeline (runtime/serve/pipeline.ts, the
// same code as Node's `register`) → onnxruntime-web (WebGPU EP, or the WebAssembly CPU EP) → results.
import * as ort from 'onnxruntime-web/webgpu';
import { encodeNifti } from '../../../runtime/data/nifti';
import { presetFromName } from '../../../runtime/data/normalize';
import { reorient } from '../../../runtime/data/orient';
import type { Volume } from '../../../runtime/data/volume';
import { resampleOnto } from '../../../runtime/serve/grid';
import { NIFTI_INTENT_VECTOR, toLps } from '../../../runtime/serve/mapping';
import { finishRegistration, magnitude, prepareVolumes, type OutputArray } from '../../../runtime/serve/pipeline';
import { chooseProvider } from './provider';
import { readNiftiBytes } from './nifti';
import type { DisplayVolume, ModelInfo, RunRequest, WorkerMessage } from './protocol';

const post = (m: WorkerMessage, transfer: Transferable[] = []) =>
  (self as DedicatedWorkerGlobalScope).postMessage(m, transfer);
const progress = (stage: string, fraction: number) => post({ type: 'progress', stage, fraction });
const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** Fetches a file with byte progress. */
async function fetchBytes(url: string, onProgress: (f: number) => void): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || 0;
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.byteLength;
    if (total) onProgress(got / total);
  }
  const out = new Uint8Array(got);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

function session(base: string, ep: 'webgpu' | 'wasm', fp16: boolean): Promise<ort.InferenceSession> {
  const key = `${ep}:${fp16}`;
  let s = sessions.get(key);
  if (!s) {
    s = (async () => {
      const bytes = await fetchBytes(new URL(fp16 ? 'model/gvsl-fp16.onnx' : 'model/gvsl.onnx', base).href, (f) =>
        progress('downloading the model', 0.05 + 0.25 * f),
      );
      progress('creating the ONNX Runtime session', 0.32);
      // NOTE: NCHW on WebGPU, as in Node (runtime/engine/ort.ts): no layout Transposes inserted around the warps.
      const providers =
        ep === 'webgpu'
          ? [{ name: 'webgpu', preferredLayout: 'NCHW' } as ort.InferenceSession.ExecutionProviderConfig]
          : ['wasm'];
      return ort.InferenceSession.create(bytes, { executionProviders: providers, graphOptimizationLevel: 'all' });
    })();
    sessions.set(key, s);
    s.catch(() => sessions.delete(key));
  }
  return s;
}

const display = (v: Volume): DisplayVolume => ({ data: v.data, dims: [...v.dims], spacing: [...v.spacing] });

async function run(req: RunRequest): Promise<void> {
  const t0 = performance.now();
  // The WebAssembly binary and its loader are served from ort/ (scripts/prepare.mjs copies them): the loader
  // also starts the pthread workers, which a bundler-renamed chunk could not.
  ort.env.wasm.wasmPaths = new URL('ort/', req.base).href;
  // Threads need SharedArrayBuffer (a cross-origin isolated page); `threads` in the request caps them.
  ort.env.wasm.numThreads = self.crossOriginIsolated
    ? Math.min(req.threads ?? 4, navigator.hardwareConcurrency || 1)
    : 1;
  progress('reading the volumes', 0.01);
  const info = (await (await fetch(new URL('model/model.json', req.base))).json()) as ModelInfo;
  const fixed = await readNiftiBytes(req.fixed.bytes, req.fixed.name);
  const moving = await readNiftiBytes(req.moving.bytes, req.moving.name);
  const { ep, fp16, note } = await chooseProvider(req.ep, req.precision);
  const t1 = performance.now();
  const s = await session(req.base, ep, fp16);
  const t2 = performance.now();
  progress('preparing the volumes (RAS, intensities, model grid)', 0.4);
  const spec = { staticDims: info.dims, size: info.dims, minSpacing: info.minSpacing, name: 'gvsl.onnx' };
  const prep = prepareVolumes([fixed, moving], spec, { normalize: presetFromName(info.normalize) });
  const t3 = performance.now();
  progress(`running GVSL on ${ep === 'webgpu' ? 'WebGPU' : 'WebAssembly'}`, 0.5);
  const shape = [1, 1, ...info.dims];
  const out = await s.run({
    A: new ort.Tensor('float32', prep.inputs[0].data, shape),
    B: new ort.Tensor('float32', prep.inputs[1].data, shape),
  });
  const t4 = performance.now();
  progress('resampling the moving image through the transform', 0.8);
  const arrays: Record<string, OutputArray> = {};
  for (const [k, v] of Object.entries(out)) arrays[k] = { data: (await v.getData()) as Float32Array, dims: v.dims };
  const r = finishRegistration(prep, arrays, info.geometry, { fixed, moving });
  // For display: everything in RAS on the fixed image's grid (the moving image on its own), flow in mm.
  const fixedRas = reorient(fixed, 'RAS');
  const n = r.flow.data.length / 3;
  const mm = new Float32Array(r.flow.data.length);
  for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) mm[c * n + i] = r.flow.data[c * n + i] * r.flow.spacing[c];
  const flowMag = resampleOnto(magnitude({ ...r.flow, data: mm }), fixedRas.dims, fixedRas.affine);
  const shown = {
    fixed: display(fixedRas),
    moving: display(reorient(moving, 'RAS')),
    warped: display(reorient(r.warped!, 'RAS')),
    flow: display(flowMag),
  };
  const t5 = performance.now();
  // Downloads: the warped image on the fixed grid (the fixed file's codes) and the ITK displacement field
  // (fixed grid, LPS mm, intent 1007), the same files as `onnx-train register`.
  progress('encoding the NIfTI downloads', 0.95);
  const files = {
    warped: await gzip(
      encodeNifti(r.warped!, { description: 'gvsl-onnx browser: moving on the fixed grid', intent: { code: 0 } }),
    ),
    displacement: await gzip(
      encodeNifti(toLps(r.displacementOnFixed!), {
        intent: { code: NIFTI_INTENT_VECTOR, name: 'disp mm LPS' },
        description: 'gvsl-onnx browser: ITK displacement field, LPS mm',
      }),
    ),
  };
  const raw = {
    warp: r.model.warped.data,
    flow: r.flow.data,
    affine: r.affine,
    worldAffine: r.worldAffine,
    displacement: r.displacement.data,
    fixed: prep.inputs[0].data,
    moving: prep.inputs[1].data,
  };
  progress('done', 1);
  post(
    {
      type: 'result',
      ep,
      epNote: note,
      model: `${info.description}${fp16 ? ' [float16]' : ''}`,
      fit: r.fit.description,
      timings: {
        load: t1 - t0,
        session: t2 - t1,
        prepare: t3 - t2,
        inference: t4 - t3,
        finish: t5 - t4,
        total: t5 - t0,
      },
      display: shown,
      raw,
      files,
    },
    [
      ...Object.values(shown).map((v) => v.data.buffer as ArrayBuffer),
      files.warped.buffer as ArrayBuffer,
      files.displacement.buffer as ArrayBuffer,
    ],
  );
}

/** gzip with the browser's CompressionStream (a .nii.gz that every tool reads). */
async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

self.onmessage = (e: MessageEvent<RunRequest>) => {
  if (e.data.type !== 'run') return;
  run(e.data).catch((err: unknown) =>
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
};
