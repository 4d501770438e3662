import { ParameterError } from '../sdk/errors';
import { Graph } from '../sdk/graph';
import type { OptimizerSpec } from '../sdk/optim';
import {
  buildApplyStep,
  buildGradientsStep,
  buildTrainStep,
  type FlatSlot,
  type GradientsStep,
  type TrainStep,
} from '../sdk/train';
import { GEOMETRIES, type Geometry, GVSL, gvslLosses, type GvslOptions, type LossWeights } from './gvsl';
import { similarityTerm, type SimilaritySpec } from './similarity';
import { UNetBase, type Widths } from './unet';

/** Batch shape (N, C, D, H, W) of the volumes a graph is built for. */
export type VolumeShape = readonly [number, number, number, number, number];

export function parseShape(s: string): VolumeShape {
  const v = s.split(',').map((x) => Number(x.trim()));
  if (v.length !== 5 || v.some((x) => !Number.isInteger(x) || x <= 0)) {
    throw new ParameterError('shape', `needs N,C,D,H,W as five positive integers (e.g. 1,1,64,64,64), got '${s}'`);
  }
  return v as unknown as VolumeShape;
}

/** What an exported GVSL model says about itself (the ONNX doc_string): its geometry and axis conventions. */
export function gvslDocString(model: GVSL): string {
  return model.geometry === 'exact'
    ? "GVSL, geometry 'exact': aff_mat_BA rows and columns (D, H, W) about the volume centre (S-1)/2, translation in voxels; flow_BA channels (D, H, W) in voxels; warp_BA(p) = B(aff(p + flow(p)))"
    : "GVSL, geometry 'official': the official PyTorch code's warps (aff_mat_BA rows on (x, y, z) = (W, H, D) in normalised coordinates, affine then flow resampling)";
}

/** Inference graph `gvsl`: inputs A, B; outputs res_A, warp_BA, aff_mat_BA, flow_BA (conventions: model.geometry). */
export function buildGvslGraph(model: GVSL, shape: VolumeShape): Graph {
  const g = new Graph('gvsl');
  const A = g.input('A', 'float32', shape);
  const B = g.input('B', 'float32', shape);
  const out = model.call(A, B);
  g.output('res_A', out.res);
  g.output('warp_BA', out.warp);
  g.output('aff_mat_BA', out.aff);
  g.output('flow_BA', out.flow);
  return g;
}

/** Backbone graph `unet`: input x; outputs global (bottleneck) and local (full-resolution decoder) features. */
export function buildUnetGraph(unet: UNetBase, shape: VolumeShape): Graph {
  const g = new Graph('unet');
  const x = g.input('x', 'float32', shape);
  const { global, local } = unet.call(x);
  g.output('global', global);
  g.output('local', local);
  return g;
}

export interface GvslTrainOptions {
  optimizer?: OptimizerSpec;
  weights?: LossWeights;
  withGrads?: boolean;
  clipGradNorm?: number;
  /** The registration similarity loss (default the official local NCC); its output is named by similarityTerm. */
  similarity?: SimilaritySpec;
}

/**
 * Training-step graph `gvsl-train`: batch inputs img_aug (damaged A), img (A), img2 (B); outputs loss,
 * the similarity term (loss_ncc by default, see similarityTerm), loss_mse, loss_smooth and the
 * parameter/optimizer updates (sdk/train.ts contract).
 */
export function buildGvslTrainGraph(
  model: GVSL,
  shape: VolumeShape,
  opts: GvslTrainOptions = {},
): { graph: Graph; step: TrainStep } {
  const g = new Graph('gvsl_train');
  const imgAug = g.input('img_aug', 'float32', shape);
  const img = g.input('img', 'float32', shape);
  const img2 = g.input('img2', 'float32', shape);
  const l = gvslLosses(model, imgAug, img, img2, opts.weights, opts.similarity);
  const step = buildTrainStep(
    g,
    l.loss,
    { [similarityTerm(opts.similarity)]: l.sim, loss_mse: l.mse, loss_smooth: l.smooth },
    {
      optimizer: opts.optimizer ?? { kind: 'adam' },
      withGrads: opts.withGrads,
      clipGradNorm: opts.clipGradNorm,
      stateCheck: true,
    },
  );
  return { graph: g, step };
}

/**
 * Data-parallel gradients graph `gvsl-grads`: the batch inputs of gvsl-train and every parameter → loss,
 * the similarity term, loss_mse, loss_smooth and `grads`, one flat buffer of every parameter's gradient (sdk/train.ts
 * buildGradientsStep; the order and offsets are the returned layout).
 */
export function buildGvslGradsGraph(
  model: GVSL,
  shape: VolumeShape,
  opts: Pick<GvslTrainOptions, 'weights' | 'similarity'> = {},
): { graph: Graph; step: GradientsStep } {
  const g = new Graph('gvsl_grads');
  const imgAug = g.input('img_aug', 'float32', shape);
  const img = g.input('img', 'float32', shape);
  const img2 = g.input('img2', 'float32', shape);
  const l = gvslLosses(model, imgAug, img, img2, opts.weights, opts.similarity);
  const step = buildGradientsStep(g, l.loss, {
    [similarityTerm(opts.similarity)]: l.sim,
    loss_mse: l.mse,
    loss_smooth: l.smooth,
  });
  return { graph: g, step };
}

/** Data-parallel update graph `gvsl-apply`: parameters, optimizer state, averaged `grads`, lr, step → new.* (sdk/train.ts buildApplyStep). */
export function buildGvslApplyGraph(
  layout: readonly FlatSlot[],
  opts: Pick<GvslTrainOptions, 'optimizer' | 'clipGradNorm'> = {},
): { graph: Graph; step: TrainStep } {
  const g = new Graph('gvsl_apply');
  const step = buildApplyStep(g, layout, {
    optimizer: opts.optimizer ?? { kind: 'adam' },
    clipGradNorm: opts.clipGradNorm,
  });
  return { graph: g, step };
}

export { GEOMETRIES, type Geometry, GVSL, type GvslOptions, UNetBase, type Widths };
