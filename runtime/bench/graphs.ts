import { buildGvslGraph, buildGvslTrainGraph, buildUnetGraph, GVSL, type VolumeShape } from '../../graphs/build';
import { buildSegGraph, buildSegTrainGraph, SegNet } from '../../graphs/seg';
import type { Widths } from '../../graphs/unet';
import { Graph } from '../../sdk/graph';
import type { StateDict } from '../../sdk/state';
import { add, mean, mul } from '../../sdk/ops';
import { buildTrainStep } from '../../sdk/train';
import type { BenchModel } from './spec';

/** A graph to benchmark; `train` graphs take parameters and Adam state as inputs (sdk/train.ts contract). */
export interface BenchGraph {
  graph: Graph;
  train: boolean;
  /** Inputs that carry data (fed with noise): the volumes, not lr/step/parameters/optimizer state. */
  dataInputs: { name: string; shape: number[]; classes?: number }[];
  /** Seeded starting weights of the model (the official initialisation). */
  weights: (seed: number) => StateDict;
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

/** Builds the graph `model` times, for volumes of `shape`; `classes` for the segmentation models. */
export function buildBenchGraph(model: BenchModel, chan: Widths, shape: VolumeShape, classes = 2): BenchGraph {
  const vol = (name: string) => ({ name, shape: [...shape] });
  if (model === 'seg' || model === 'seg-train') {
    const seg = new SegNet(classes, chan);
    const weights = (seed: number) => seg.initStateDict(seed);
    if (model === 'seg') return { graph: buildSegGraph(seg, shape), train: false, dataInputs: [vol('image')], weights };
    const { graph } = buildSegTrainGraph(seg, shape, { mode: 'finetune' });
    return { graph, train: true, dataInputs: [vol('image'), { ...vol('label'), classes }], weights };
  }
  const gvsl = new GVSL(1, chan);
  const weights = (seed: number) => gvsl.initStateDict(seed);
  const data = (g: Graph, names: string[], train: boolean) => ({
    graph: g,
    train,
    dataInputs: names.map(vol),
    weights,
  });
  switch (model) {
    case 'gvsl':
      return data(buildGvslGraph(gvsl, shape), ['A', 'B'], false);
    case 'unet':
      return data(buildUnetGraph(gvsl.unet, shape), ['x'], false);
    case 'gvsl-train':
      return data(buildGvslTrainGraph(gvsl, shape).graph, ['img_aug', 'img', 'img2'], true);
    case 'unet-train':
      return data(buildUnetTrainGraph(gvsl, shape), ['x'], true);
  }
}
