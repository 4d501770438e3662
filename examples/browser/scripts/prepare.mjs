#!/usr/bin/env node
// Prepares examples/browser/public/ (or $GVSL_PUBLIC) before vite serves or builds the app:
// - model/gvsl.onnx (float32) and model/gvsl-fp16.onnx (float16 network, for WebGPU adapters with shader-f16),
//   and model/model.json (grid, geometry, preprocessing, where the model came from). The model is, in order:
//   $GVSL_MODEL (a pre-training run folder or a gvsl.onnx), the newest runs/pretrain-*/gvsl.onnx, or a small
//   untrained GVSL exported with `onnx-train export` (seeded initialisation: the page says so);
// - samples/: the bundled sample volumes (data/samples);
// - ort/: onnxruntime-web's WebAssembly binary and its loader (the worker points ort.env.wasm.wasmPaths there).
// Needs the compiled TypeScript (npm ci / npm run build).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const app = path.resolve(here, '..');
const root = path.resolve(app, '..', '..');
const pub = path.resolve(process.env.GVSL_PUBLIC ?? path.join(app, 'public'));
const require = createRequire(import.meta.url);
const dist = (p) => path.join(root, 'dist', p);
if (!fs.existsSync(dist('runtime/cli/index.js'))) {
  console.error('examples/browser: the TypeScript build is missing; run `npm run build` first');
  process.exit(1);
}
const { readOnnx, saveOnnx, ioInfo } = require(dist('runtime/engine/onnx-file.js'));
const { convertToFloat16, GVSL_FLOAT16 } = require(dist('runtime/serve/fp16.js'));
const { docGeometry } = require(dist('runtime/serve/source.js'));

for (const d of ['model', 'samples', 'ort']) fs.mkdirSync(path.join(pub, d), { recursive: true });

// Samples, and ORT's WebAssembly binary with its loader (the app imports ORT without them: see vite.config.mts).
for (const f of ['ch2-2mm.nii.gz', 'itk-t1-head.nii.gz'])
  fs.copyFileSync(path.join(root, 'data', 'samples', f), path.join(pub, 'samples', f));
const ortDist = path.dirname(require.resolve('onnxruntime-web/webgpu')); // …/onnxruntime-web/dist
for (const f of ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs']) {
  const to = path.join(pub, 'ort', f);
  if (!fs.existsSync(to) || fs.statSync(to).size !== fs.statSync(path.join(ortDist, f)).size)
    fs.copyFileSync(path.join(ortDist, f), to);
}

// The model.
function newestRun() {
  const runs = path.join(root, 'runs');
  if (!fs.existsSync(runs)) return null;
  const found = fs
    .readdirSync(runs)
    .filter((d) => d.startsWith('pretrain-') && fs.existsSync(path.join(runs, d, 'gvsl.onnx')))
    .map((d) => path.join(runs, d));
  const mtime = (d) => fs.statSync(path.join(d, 'gvsl.onnx')).mtimeMs;
  found.sort((a, b) => mtime(b) - mtime(a));
  return found[0] ?? null;
}
let source = process.env.GVSL_MODEL || newestRun();
let onnxFile;
let config = null;
let description;
if (source) {
  source = path.resolve(source);
  const dir = fs.statSync(source).isDirectory();
  onnxFile = dir ? path.join(source, 'gvsl.onnx') : source;
  const cfgFile = path.join(dir ? source : path.dirname(source), 'config.json');
  if (fs.existsSync(cfgFile)) config = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
  description = `${path.relative(root, onnxFile)}${config?.steps ? ` (pre-trained, ${config.steps} steps)` : ''}`;
} else {
  onnxFile = path.join(pub, 'model', 'untrained.onnx');
  const chan = '8,16,16,32,32,32,16,16,16';
  execFileSync(
    process.execPath,
    [
      path.join(root, 'bin', 'onnx-train.js'),
      'export',
      '--model',
      'gvsl',
      '--chan',
      chan,
      '--shape',
      '1,1,32,32,32',
      '--out',
      onnxFile,
    ],
    { stdio: 'inherit' },
  );
  description = `untrained GVSL (widths ${chan}, seeded initialisation): run \`npx onnx-train pretrain\` and restart for a trained model`;
}
const model = readOnnx(onnxFile);
const { inputs } = ioInfo(model);
const A = inputs.find((i) => i.name === 'A');
if (!A) throw new Error(`${onnxFile}: not a GVSL registration model (no input A)`);
saveOnnx(model, path.join(pub, 'model', 'gvsl.onnx'));
saveOnnx(convertToFloat16(model, GVSL_FLOAT16), path.join(pub, 'model', 'gvsl-fp16.onnx'));
if (onnxFile.endsWith('untrained.onnx')) fs.rmSync(onnxFile);
const info = {
  description,
  dims: A.shape.slice(2),
  // As runtime/serve/source.ts: the graph's own doc string, else its run's config (exact when unset), else official.
  geometry: docGeometry(model.docString) ?? (config ? (config.geometry ?? 'exact') : 'official'),
  minSpacing: config?.spacing ?? 0,
  normalize: config?.normalize ?? 'mr-percentile',
};
fs.writeFileSync(path.join(pub, 'model', 'model.json'), JSON.stringify(info, null, 2) + '\n');
console.log(
  `examples/browser/public: model ${info.description}, grid ${info.dims.join('x')}, geometry ${info.geometry}`,
);
