import { BuildError } from '../errors';
import { add, matmul, mT, squeeze, unsqueeze } from '../ops';
import type { Tensor } from '../tensor';

/**
 * torch.nn.functional.linear: y = x·Wᵀ + b for x (…, in), W [out, in], b [out]. A wrong input width is
 * reported in the Linear's terms ("Linear(in_features=8, out_features=3) got input of shape [4, 6]"), not as a
 * MatMul error.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const [outF, inF] = weight.shape;
  if (x.rank < 1 || x.dims[x.rank - 1] !== inF) {
    throw new BuildError(
      'Linear',
      x.graph.scope,
      `Linear(in_features=${inF}, out_features=${outF}) got input of shape [${x.dims.join(', ')}]; its last axis must be ${inF}`,
    );
  }
  // MatMul needs rank >= 2: a vector input is one row, and comes back as a vector.
  const y = x.rank === 1 ? squeeze(matmul(unsqueeze(x, [0]), mT(weight)), [0]) : matmul(x, mT(weight));
  return bias ? add(y, bias) : y;
}
