import { buildGvslGraph, buildGvslTrainGraph, buildUnetGraph, GVSL, type VolumeShape } from '../../graphs/build';
import { Graph } from '../../sdk/graph';
import { add, mean, mul } from '../../sdk/ops';
import { buildTrainStep } from '../../sdk/train';
import type { BenchModel } from './spec';

/** A graph to benchmark; `train` graphs take parameters and Adam state as inputs (sdk/train.ts contract). */
export interface BenchGraph {
  graph: Graph;
  train: boolean;
  /** Inputs that carry data (fed with noise): the volumes, not lr/step/parameters/optimizer state. */
  dataInputs: { name: string; shape: number[] }[];
}

/**
 * `unet-train`: the backbone alone with loss mean(global²) + mean(local²) and Adam, as bench_torch.py's
 * unet-train mode: the cost of the U-Net's backward pass without GVSL's heads and warping.
 */
export function buildUnetTrainGraph(model: GVSL, shape: VolumeShape): Graph {
  const g = new Graph('unet_train');
  const x = g.input('x', 'float32', shape);
  const { global, local } = model.unet.call(x);
  const loss = add(mean(mul(global, global)), mean(mul(local, local)));
  buildTrainStep(g, loss, {}, { optimizer: { kind: 'adam' } });
  return g;
}

/** Builds the graph `model` times, for volumes of `shape`. */
export function buildBenchGraph(model: BenchModel, gvsl: GVSL, shape: VolumeShape): BenchGraph {
  const data = (g: Graph, names: string[]) => ({ graph: g, dataInputs: names.map((name) => ({ name, shape: [...shape] })) });
  switch (model) {
    case 'gvsl':
      return { ...data(buildGvslGraph(gvsl, shape), ['A', 'B']), train: false };
    case 'unet':
      return { ...data(buildUnetGraph(gvsl.unet, shape), ['x']), train: false };
    case 'gvsl-train':
      return { ...data(buildGvslTrainGraph(gvsl, shape).graph, ['img_aug', 'img', 'img2']), train: true };
    case 'unet-train':
      return { ...data(buildUnetTrainGraph(gvsl, shape), ['x']), train: true };
  }
}
