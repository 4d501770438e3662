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
  // With alpha >= 0 the output is > 0 exactly where x is, so the mask comes from the output: a LeakyRelu after a
  // GroupNorm then keeps only its output (the next Conv's input, kept anyway), not the GroupNorm's output too.
  ([dy], { inputs: [x], outputs: [y], attrs: { alpha } }) => [
    where(greater(alpha >= 0 ? y : x!, 0), dy!, mul(dy!, Math.fround(alpha))),
  ],
  { dtypes: FLOATS, attrs: ({ alpha }) => ({ alpha: attr.float(alpha) }) },
);

/**
 * ONNX LeakyRelu (opset 6/16): x for x > 0, alpha·x otherwise. VJP: dy where x > 0, alpha·dy elsewhere
 * (slope alpha at x = 0, as torch); keeps the output (x when alpha < 0).
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
