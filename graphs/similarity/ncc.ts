import type { Tensor } from '../../sdk/tensor';
import { nccLoss } from '../losses';

/**
 * Local normalised cross-correlation over a `window`³ box (default 9, the official GVSL/VoxelMorph loss):
 * 1 − mean(cross² / (var_I·var_J + 1e-5)), box sums with zero padding. 0 when J = a·I (a ≠ 0); the sign of
 * the correlation does not matter (it is squared). With window 9 it is exactly graphs/losses.ts nccLoss.
 */
export function localNccLoss(I: Tensor, J: Tensor, window = 9): Tensor {
  return nccLoss(I, J, window);
}
