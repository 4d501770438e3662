import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildGvslGraph, buildGvslTrainGraph, buildUnetGraph, GVSL, gvslDocString } from '../../graphs/build';
import { parseWidths } from '../../graphs/unet';
import { saveModel, writeFileAtomic } from '../../sdk/export';
import type { StateDict } from '../../sdk/state';
import { UserError } from '../cli/errors';
import { loadModelWeights } from '../weights';
import { batchMaker, type BatchSource, inlineSource, workerScript, workerSource } from './batches';
import { saveCheckpoint } from './checkpoint';
import { configGeometry, type PretrainConfig, type RunOptions } from './config';
import { checkWebGpuGraph } from '../gpu-limits';
import { trainLoop } from './loop';
import { startTrainer, type TrainerHost } from './trainer-host';
import type { SessionOptions } from '../ort';

export interface PretrainResult {
  dir: string;
  checkpoint: string;
  gvslOnnx: string;
  unetOnnx: string;
  step: number;
  status: 'done' | 'interrupted';
  /** Seconds the trainer spent waiting for data. */
  dataWait: number;
  seconds: number;
}

const TERMS = ['loss', 'loss_ncc', 'loss_mse', 'loss_smooth'];

/** Fails early, with the fix, when the requested execution provider is not available. */
export function checkExecutionProvider(ep: string): void {
  const have = ort.listSupportedBackends().map((b) => b.name);
  if (ep === 'cpu') return;
  if (!have.includes(ep)) {
    const fix = ep === 'cuda'
      ? 'install the CUDA 12 build of onnxruntime-node: npm install --onnxruntime-node-install=cuda12 (needs CUDA 12 and cuDNN 9 on the machine)'
      : `this onnxruntime-node build offers: ${have.join(', ')}`;
    throw new UserError(`the '${ep}' execution provider is not available: ${fix}`);
  }
}

/**
 * The training session of a run (pretrain, finetune) on `opts`' provider, in a worker thread when `useWorkers`;
 * a failure closes the data source and becomes one line saying what to do.
 */
export async function startRunTrainer(trainFile: string, state: StateDict, opts: RunOptions, startStep: number, useWorkers: boolean,
  source: BatchSource, extra: SessionOptions = {}): Promise<TrainerHost> {
  try {
    // No silent CPU fallback on a GPU provider: a node it cannot run is an error, not a slow step.
    return await startTrainer(trainFile, state, { ep: opts.ep, threads: opts.threads, noArena: opts.noArena, noCpuFallback: true, ...extra }, startStep, useWorkers);
  } catch (e) {
    await source.close();
    throw new UserError(`could not start the training session on '${opts.ep}': ${explainSessionError(opts.ep, (e as Error).message)}`);
  }
}

/** ORT's session-creation errors, with what to do about the common ones. */
export function explainSessionError(ep: string, message: string): string {
  const first = message.split('\n')[0];
  if (ep === 'webgpu' && /adapter/i.test(message)) {
    return `${first}. No WebGPU adapter was found: install a GPU driver with Vulkan support (on Linux: the vendor's Vulkan driver and libvulkan1; for a software adapter, Debian's chromium ships SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json), or use --ep cpu`;
  }
  if (ep === 'cuda' && /shared library|libcudart|libcudnn|cublas/i.test(message)) {
    return `${first}. The CUDA provider's libraries could not be loaded: install CUDA 12 and cuDNN 9 and the CUDA build of onnxruntime-node (npm install --onnxruntime-node-install=cuda12), or use --ep cpu`;
  }
  return first;
}

/** Creates `dir` and checks it can be written to (a UserError naming it otherwise). */
export function ensureWritable(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (e) {
    throw new UserError(`cannot write to the output folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): choose another --out`);
  }
}

/**
 * GVSL pre-training: the training-step graph (forward + backward + Adam, sdk/train.ts) run by ONNX Runtime,
 * fed with augmented pairs prepared ahead in a worker thread. Writes into `opts.out`: config.json,
 * train.onnx, metrics.jsonl, loss.svg, checkpoint.safetensors (every `saveEvery` steps, at the end and on
 * Ctrl-C) and, at the end, the inference graphs gvsl.onnx and unet.onnx.
 */
export async function pretrain(cfg: PretrainConfig, opts: RunOptions, resume?: { state: StateDict; step: number }): Promise<PretrainResult> {
  const t0 = performance.now();
  const dir = path.resolve(opts.out);
  ensureWritable(dir);
  checkExecutionProvider(opts.ep);
  const log = (m: string) => {
    if (!opts.quiet) process.stderr.write(`${m}\n`);
  };
  const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
  const chan = parseWidths(cfg.chan);
  const model = new GVSL(1, chan, { geometry: configGeometry(cfg) });
  const shape = [cfg.batch, 1, ...cfg.size] as [number, number, number, number, number];
  const startStep = resume?.step ?? 0;
  if (startStep >= cfg.steps) throw new UserError(`the checkpoint is at step ${startStep} and --steps is ${cfg.steps}: nothing to do (raise --steps)`);

  const geometry = configGeometry(cfg);
  const { graph } = buildGvslTrainGraph(model, shape, { weights: cfg.lossWeights });
  if (opts.ep === 'webgpu') {
    const rebuild = (size: number[], c?: readonly number[]) =>
      buildGvslTrainGraph(new GVSL(1, parseWidths(c ?? chan), { geometry }), [cfg.batch, 1, size[0], size[1], size[2]], { weights: cfg.lossWeights }).graph;
    checkWebGpuGraph(graph, { size: cfg.size, chan }, rebuild);
  }

  const useWorkers = opts.workers ?? workerScript() !== null;
  const source: BatchSource = useWorkers && workerScript()
    ? await workerSource({ module: path.join(__dirname, 'batches.js'), cfg }, startStep + 1, cfg.steps, warn)
    : inlineSource(batchMaker(cfg, warn));

  let state: StateDict;
  if (resume) state = resume.state;
  else if (cfg.weights) {
    const w = loadModelWeights(model, cfg.weights, { allowBackboneOnly: true, seed: cfg.seed });
    w.notes.forEach(log); // wrapper key, prefix changes, dtype conversions, backbone-only
    if (w.metadata.geometry && w.metadata.geometry !== model.geometry) warn(`${cfg.weights} was made with geometry '${w.metadata.geometry}'; this run uses '${model.geometry}'`);
    state = w.tensors;
  } else state = model.initStateDict(cfg.seed);

  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  const trainFile = path.join(dir, 'train.onnx');
  saveModel(graph, trainFile, { params: 'inputs', docString: gvslDocString(model) });
  log(`GVSL ${model.numParameters().toLocaleString('en')} parameters, widths ${chan.join(',')}, geometry ${model.geometry}, crop ${cfg.size.join('x')}, batch ${cfg.batch}, ${cfg.volumes.length} volumes, ep ${opts.ep}`);

  // The WebGPU buffer sizes were checked on the DSL graph above, with a better hint than the ONNX file allows.
  const trainer = await startRunTrainer(trainFile, state, opts, startStep, useWorkers, source, { buffersChecked: true });
  try {
    const r = await trainLoop({
      dir, trainer, source, startStep, steps: cfg.steps, lr: cfg.lr, terms: TERMS, saveEvery: cfg.saveEvery,
      quiet: opts.quiet, json: opts.json, resumed: !!resume, t0,
      save: (state, step) => saveCheckpoint(dir, state, { config: cfg, step }),
    });
    const { step, interrupted } = r;
    const ckpt = r.checkpoint;
    const params: StateDict = new Map([...(await trainer.state())].filter(([k]) => model.paramSpecs().has(k)));
    const inferShape = [1, 1, ...cfg.size] as [number, number, number, number, number];
    const gvslOnnx = path.join(dir, 'gvsl.onnx');
    const unetOnnx = path.join(dir, 'unet.onnx');
    if (!interrupted) {
      saveModel(buildGvslGraph(model, inferShape), gvslOnnx, { weights: params, docString: gvslDocString(model) });
      saveModel(buildUnetGraph(model.unet, inferShape), unetOnnx, { weights: params });
    }
    return { dir, checkpoint: ckpt, gvslOnnx, unetOnnx, step, status: interrupted ? 'interrupted' : 'done', dataWait: source.waited, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await trainer.release();
    await source.close();
  }
}
