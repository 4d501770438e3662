import { layerNorm } from '../functional/layer-norm';
import type { Tensor } from '../tensor';
import { ones, zeros } from './init';
import { Module } from './module';

/**
 * torch.nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True): normalises over the
 * trailing `normalized_shape` axes; `weight` (ones) and `bias` (zeros) of that shape when affine.
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  constructor(
    normalizedShape: number | readonly number[],
    readonly eps = 1e-5,
    readonly elementwiseAffine = true,
    bias = true,
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0 || !this.normalizedShape.every((s) => Number.isInteger(s) && s > 0)) {
      throw new Error(`LayerNorm: normalized_shape must be positive integers, got [${this.normalizedShape}]`);
    }
    if (elementwiseAffine) {
      this.addParam('weight', this.normalizedShape, ones);
      if (bias) this.addParam('bias', this.normalizedShape, zeros);
    }
  }

  forward(x: Tensor): Tensor {
    const g = x.graph;
    const w = this.hasParam('weight') ? this.param(g, 'weight') : null;
    const b = this.hasParam('bias') ? this.param(g, 'bias') : null;
    return layerNorm(x, this.normalizedShape, w, b, this.eps);
  }
}
