import type { Tensor } from '../tensor';
import { exp } from './exp';
import { unaryPrim } from './kit';
import { mul } from './mul';

/**
 * ONNX Erf (opset 13): the Gauss error function, for the exact GELU. VJP: dy·(2/√π)·e^(−x²); keeps x.
 * NOTE: ORT's CPU EP has Erf for float32 only (float64: "Could not find an implementation"), so float64 is refused.
 */
export const Erf = unaryPrim(
  'Erf',
  ([dy], { inputs: [x] }) => [mul(dy!, mul(exp(mul(mul(x!, x!), -1)), 2 / Math.sqrt(Math.PI)))],
  {
    dtypes: ['float32', 'float16'],
  },
);

/** Elementwise error function erf(x) = (2/√π)·∫₀ˣ e^(−t²) dt. */
export function erf(x: Tensor): Tensor {
  return x.graph.apply(Erf, [x], {})[0];
}
