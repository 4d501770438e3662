import * as path from 'node:path';
import { buildGvslGraph, buildGvslTrainGraph, buildUnetGraph, GVSL, gvslDocString } from '../../graphs/build';
import { configGeometry } from '../../graphs/gvsl';
import { parseWidths } from '../../graphs/unet';
import { saveModel } from '../../sdk/export';
import type { StateDict } from '../../sdk/state';
import { loadModelWeights } from '../checkpoint/weights';
import { saveCheckpoint } from '../engine/checkpoint';
import { checkWebGpuGraph } from '../engine/gpu-limits';
import { trainLoop } from '../engine/loop';
import { programFromStepGraph } from '../engine/program';
import { inRun, openRunData, type RunOptions, withRunTrainer, writeRunFiles } from '../engine/run';
import { batchMaker } from './batches';
import { type PairRegistration, registerPair } from './sample-pair';
import { loadVolumes } from './volumes';
import { describeSimilarity } from '../../graphs/similarity';
import { configSimilarity, type PretrainConfig, pretrainTerms } from './config';

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
  /**
   * On the bundled samples, once finished: the trained model registering the second sample to the first
   * (centre crops) against the identity.
   */
  samplePair?: PairRegistration;
}

/** A new run's starting weights: `cfg.weights` when given, else the seeded initialisation. */
export function startingWeights(
  model: GVSL,
  cfg: PretrainConfig,
  log: (m: string) => void,
  warn: (m: string) => void,
): StateDict {
  if (!cfg.weights) return model.initStateDict(cfg.seed);
  const w = loadModelWeights(model, cfg.weights, { allowBackboneOnly: true, seed: cfg.seed });
  w.notes.forEach(log); // wrapper key, prefix changes, dtype conversions, backbone-only
  if (w.metadata.geometry && w.metadata.geometry !== model.geometry)
    warn(`${cfg.weights} was made with geometry '${w.metadata.geometry}'; this run uses '${model.geometry}'`);
  return w.tensors;
}

/**
 * GVSL pre-training: the training-step graph (forward + backward + Adam, sdk/train.ts) run by ONNX Runtime,
 * fed with augmented pairs prepared ahead in a worker thread. Writes into `opts.out`: config.json,
 * train.onnx, metrics.jsonl, loss.svg, checkpoint.safetensors (every `saveEvery` steps, at the end and on
 * Ctrl-C) and, at the end, the inference graphs gvsl.onnx and unet.onnx.
 */
export async function pretrain(
  cfg: PretrainConfig,
  opts: RunOptions,
  resume?: { state: StateDict; step: number },
): Promise<PretrainResult> {
  const startStep = resume?.step ?? 0;
  return inRun(opts, startStep, cfg.steps, async ({ dir, t0, log, warn }) => {
    const chan = parseWidths(cfg.chan);
    const model = new GVSL(1, chan, { geometry: configGeometry(cfg) });
    const shape = [cfg.batch, 1, ...cfg.size] as [number, number, number, number, number];

    const geometry = configGeometry(cfg);
    const optimizer = { kind: 'adam' } as const;
    const similarity = configSimilarity(cfg);
    const { graph, step: trainStep } = buildGvslTrainGraph(model, shape, {
      weights: cfg.lossWeights,
      optimizer,
      similarity,
    });
    if (opts.ep === 'webgpu') {
      const rebuild = (size: number[], c?: readonly number[]) =>
        buildGvslTrainGraph(
          new GVSL(1, parseWidths(c ?? chan), { geometry }),
          [cfg.batch, 1, size[0], size[1], size[2]],
          { weights: cfg.lossWeights, similarity },
        ).graph;
      checkWebGpuGraph(graph, { size: cfg.size, chan }, rebuild);
    }

    const data = await openRunData(
      opts,
      path.join(__dirname, 'batches.js'),
      cfg,
      batchMaker,
      startStep + 1,
      cfg.steps,
      warn,
    );

    const state = resume ? resume.state : startingWeights(model, cfg, log, warn);

    const written = writeRunFiles(dir, cfg, graph, { docString: gvslDocString(model) });
    const program = programFromStepGraph(graph, trainStep, { optimizer, model, train: written.model });
    log(
      `GVSL ${model.numParameters().toLocaleString('en')} parameters, widths ${chan.join(',')}, geometry ${model.geometry}, similarity ${describeSimilarity(similarity)}, crop ${cfg.size.join('x')}, batch ${cfg.batch}, ${cfg.volumes.length} volumes, ep ${opts.ep}`,
    );

    // The WebGPU buffer sizes were checked on the DSL graph above, with a better hint than the ONNX file allows.
    return withRunTrainer(program, state, cfg.lr, opts, startStep, data, { buffersChecked: true }, async (trainer) => {
      const r = await trainLoop({
        dir,
        trainer,
        source: data.source,
        startStep,
        steps: cfg.steps,
        terms: pretrainTerms(cfg),
        saveEvery: cfg.saveEvery,
        quiet: opts.quiet,
        json: opts.json,
        resumed: !!resume,
        t0,
        save: (state, step) => saveCheckpoint(dir, state, { config: cfg, step }),
      });
      const { step, interrupted } = r;
      const ckpt = r.checkpoint;
      const params = await trainer.stateDict();
      const inferShape = [1, 1, ...cfg.size] as [number, number, number, number, number];
      const gvslOnnx = path.join(dir, 'gvsl.onnx');
      const unetOnnx = path.join(dir, 'unet.onnx');
      if (!interrupted) {
        saveModel(buildGvslGraph(model, inferShape), gvslOnnx, { weights: params, docString: gvslDocString(model) });
        saveModel(buildUnetGraph(model.unet, inferShape), unetOnnx, { weights: params });
      }
      const seconds = (performance.now() - t0) / 1000;
      let samplePair: PairRegistration | undefined;
      if (!interrupted && cfg.samples) {
        const [fixed, moving] = loadVolumes(cfg, () => {});
        samplePair = await registerPair(model, params, fixed, moving, cfg.size, { threads: opts.threads });
      }
      return {
        dir,
        checkpoint: ckpt,
        gvslOnnx,
        unetOnnx,
        step,
        status: interrupted ? 'interrupted' : 'done',
        dataWait: data.source.waited,
        seconds,
        samplePair,
      };
    });
  });
}
