import { check } from '../errors';
import { attr, type Primitive } from '../primitive';
import type { Tensor } from '../tensor';
import { greater } from './greater';
import { FLOATS, unaryPrim } from './kit';
import { mul } from './mul';
import { where } from './where';

export interface LeakyReluAttrs {
  /** Slope for x ≤ 0. */
  alpha: number;
}

const base = unaryPrim<LeakyReluAttrs>(
  'LeakyRelu',
  // NOTE: the ONNX attribute is a float32, so the forward pass uses fround(alpha); the slope must match.
  ([dy], { inputs: [x], attrs: { alpha } }) => [where(greater(x!, 0), dy!, mul(dy!, Math.fround(alpha)))],
  { dtypes: FLOATS, attrs: ({ alpha }) => ({ alpha: attr.float(alpha) }) },
);

/**
 * ONNX LeakyRelu (opset 6/16): x for x > 0, alpha·x otherwise. VJP: dy where x > 0, alpha·dy elsewhere
 * (slope alpha at x = 0, as torch); keeps x.
 */
export const LeakyRelu: Primitive<LeakyReluAttrs> = {
  ...base,
  infer(inputs, attrs) {
    check(Number.isFinite(attrs.alpha), () => `alpha must be a finite number, got ${attrs.alpha}`);
    return base.infer(inputs, attrs);
  },
};

/** `leakyRelu(x, { alpha: 0.2 })`: x for x > 0, alpha·x otherwise (alpha defaults to 0.01, as torch). */
export function leakyRelu(x: Tensor, { alpha = 0.01 }: { alpha?: number } = {}): Tensor {
  return x.graph.apply(LeakyRelu, [x], { alpha })[0];
}
