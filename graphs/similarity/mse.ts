import type { Tensor } from '../../sdk/tensor';
import { mseLoss } from '../losses';

/** Mean squared intensity difference mean((I − J)²): for pairs of the same modality and intensity scale. */
export function mseSimilarityLoss(I: Tensor, J: Tensor): Tensor {
  return mseLoss(I, J);
}
