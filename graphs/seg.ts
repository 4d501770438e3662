import { F, nn } from '../sdk';
import { Graph } from '../sdk/graph';
import { add, cast, equal, log, mean, mul, softmax } from '../sdk/ops';
import type { OptimizerSpec } from '../sdk/optim';
import type { Tensor } from '../sdk/tensor';
import { buildTrainStep, type TrainStep } from '../sdk/train';
import type { VolumeShape } from './build';
import { OFFICIAL_WIDTHS, UNetBase, type Widths } from './unet';

/**
 * The official GVSL downstream segmentation model (`UNet3D_GVSL`): the GVSL U-Net backbone, registered as
 * `unet` so GVSL checkpoints load into it, + `out_conv` (Conv3d k3 p1, c8 → classes) + softmax over classes.
 * forward: (B, C_in, D, H, W) → class probabilities (B, classes, D, H, W).
 */
export class SegNet extends nn.Module {
  readonly unet: UNetBase;
  readonly out_conv: nn.Conv3d;

  constructor(
    readonly classes: number,
    readonly chan: Widths = OFFICIAL_WIDTHS,
    readonly inChannels = 1,
  ) {
    super();
    if (!Number.isInteger(classes) || classes < 2)
      throw new Error(`a segmentation needs at least 2 classes (background + 1), got ${classes}`);
    // As the official code: kaiming-normal backbone convolutions, PyTorch's default init for out_conv.
    this.unet = this.addModule('unet', new UNetBase(inChannels, chan, nn.init.kaimingNormal()));
    this.out_conv = this.addModule('out_conv', new nn.Conv3d(chan[8], classes, 3, { padding: 1 }));
  }

  forward(x: Tensor): Tensor {
    return softmax(this.out_conv.call(this.unet.call(x).local), { axis: 1 });
  }
}

/** One-hot (B, classes, D, H, W) float32 from a label map (B, 1, D, H, W) of class indices stored as floats. */
export function oneHot(labels: Tensor, classes: number): Tensor {
  const ids = labels.graph.constant(
    Array.from({ length: classes }, (_, i) => i),
    labels.dtype,
    [1, classes, 1, 1, 1],
  );
  return cast(equal(labels, ids), 'float32');
}

/**
 * The official GVSL downstream Dice loss (`utils/losses.py` `dice_loss`): for every sample n and class c
 * (background included), dice = (2·Σ p·g + 1) / (Σ g² + Σ p² + 1) over the voxels, loss = 1 − mean_{n,c} dice.
 * `probs` are softmax probabilities, `target` one-hot labels, both (B, classes, D, H, W). It is the SDK's
 * `F.diceLoss` with its defaults (smooth 1, squared denominator).
 */
export function diceLoss(probs: Tensor, target: Tensor, smooth = 1): Tensor {
  return F.diceLoss(probs, target, { smooth });
}

/**
 * Cross-entropy on probabilities: −mean over voxels of Σ_c g_c·log(p_c + 1e-6). (The official helper
 * `crossentropy` also averages over the classes, i.e. is this divided by the number of classes.)
 */
export function crossEntropy(probs: Tensor, target: Tensor): Tensor {
  const classes = probs.shape[1];
  return mul(mean(mul(target, log(add(probs, 1e-6)))), -classes);
}

/** Segmentation inference graph `seg`: input `image` (N, 1, D, H, W) → output `probs` (N, classes, D, H, W). */
export function buildSegGraph(model: SegNet, shape: VolumeShape): Graph {
  const g = new Graph('seg');
  g.output('probs', model.call(g.input('image', 'float32', shape)));
  return g;
}

export type SegMode = 'finetune' | 'linear';

export interface SegTrainOptions {
  /** `finetune`: every weight trains; `linear`: the backbone (`unet.*`) is frozen, only `out_conv` learns. */
  mode: SegMode;
  /** Weight of the cross-entropy term added to the Dice loss (default 0: Dice only, as the official code). */
  ceWeight?: number;
  optimizer?: OptimizerSpec;
}

/** The backbone parameters that `linear` mode freezes. */
export const isBackbone = (name: string) => name.startsWith('unet.');

/**
 * Training-step graph `seg_train`: batch inputs `image` (N, 1, D, H, W) and `label` (N, 1, D, H, W, class
 * indices as float32); outputs `loss`, `loss_dice` (and `loss_ce` with a CE weight) and the updates of the
 * trained parameters (sdk/train.ts contract). In `linear` mode the backbone parameters are frozen: graph inputs
 * with no gradient, no optimizer state and no `new.*` output, so the backward pass stops at `out_conv`.
 */
export function buildSegTrainGraph(
  model: SegNet,
  shape: VolumeShape,
  opts: SegTrainOptions,
): { graph: Graph; step: TrainStep; terms: string[] } {
  const g = new Graph('seg_train');
  const image = g.input('image', 'float32', shape);
  const label = g.input('label', 'float32', shape);
  const probs = model.call(image);
  const target = oneHot(label, model.classes);
  const dice = diceLoss(probs, target);
  const terms: Record<string, Tensor> = { loss_dice: dice };
  let loss = dice;
  if (opts.ceWeight) {
    const ce = crossEntropy(probs, target);
    terms.loss_ce = ce;
    loss = add(dice, mul(ce, opts.ceWeight));
  }
  const step = buildTrainStep(g, loss, terms, {
    optimizer: opts.optimizer ?? { kind: 'adam' },
    frozen: opts.mode === 'linear' ? isBackbone : undefined,
    stateCheck: true,
  });
  return { graph: g, step, terms: ['loss', ...Object.keys(terms)] };
}
