import { BuildError } from '../errors';
import { add, div, mul, reduceMean, sqrt, sub } from '../ops';
import type { Tensor } from '../tensor';

/**
 * torch.nn.functional.layer_norm: (x − mean) / √(var + eps) over the last `normalizedShape.length` axes
 * (biased variance), then ·weight + bias (both of `normalizedShape`, optional).
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  const k = normalizedShape.length;
  if (k === 0 || x.rank < k || x.dims.slice(x.rank - k).join() !== normalizedShape.join()) {
    throw new BuildError(
      'LayerNorm',
      x.graph.scope,
      `LayerNorm(normalized_shape=[${normalizedShape.join(', ')}]) got input of shape [${x.dims.join(', ')}]; its last ${k} axes must be [${normalizedShape.join(', ')}]`,
    );
  }
  const axes = normalizedShape.map((_, i) => x.rank - k + i);
  const xc = sub(x, reduceMean(x, axes, { keepdims: true }));
  const y = div(xc, sqrt(add(reduceMean(mul(xc, xc), axes, { keepdims: true }), eps)));
  const scaled = weight ? mul(y, weight) : y;
  return bias ? add(scaled, bias) : scaled;
}
