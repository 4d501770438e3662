import { mulDims } from '../dim';
import { BuildError } from '../errors';
import { add, mul, reshape, standardize } from '../ops';
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
  // As rows [rows, 1, ...normalizedShape] for the Standardize primitive (GroupNorm's): the same forward ops, and
  // its VJP from the outputs, (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / std, is 7 nodes where autodiff through the
  // composed ops made ~20 (Expand, Neg, …) and kept x − mean alive for the backward pass as well.
  const rows = mulDims(...x.dims.slice(0, x.rank - k));
  const [xn] = standardize(reshape(x, [rows, 1, ...normalizedShape]), { eps });
  const y = reshape(xn, x.dims);
  const scaled = weight ? mul(y, weight) : y;
  return bias ? add(scaled, bias) : scaled;
}
