import { add, div, mean, mul, reduceMean, sqrt, sub } from '../../sdk/ops';
import type { Tensor } from '../../sdk/tensor';

/**
 * Global normalised cross-correlation, one per sample over the whole volume, averaged over the batch:
 * 1 − mean_n( Σ(I − Ī)(J − J̄) / sqrt(Σ(I − Ī)² · Σ(J − J̄)² + eps) ). 0 when J = a·I + b with a > 0, 2 when a < 0.
 * Means over (C, D, H, W) (two-stage, see ORT-NOTES: long single reductions lose precision in float32).
 */
export function globalNccLoss(I: Tensor, J: Tensor, eps = 1e-8): Tensor {
  const axes = I.shape.slice(1).map((_, k) => k + 1);
  const centre = (x: Tensor) => sub(x, reduceMean(x, axes, { keepdims: true }));
  const a = centre(I);
  const b = centre(J);
  const m = (x: Tensor) => reduceMean(x, axes);
  // Means rather than sums: the ratio is the same and the eps stays relative to the voxel count.
  const cc = div(m(mul(a, b)), sqrt(add(mul(m(mul(a, a)), m(mul(b, b))), eps)));
  return sub(1, mean(cc));
}
