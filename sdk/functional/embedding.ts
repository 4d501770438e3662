import { BuildError } from '../errors';
import { gather, mul } from '../ops';
import type { Tensor } from '../tensor';

/**
 * torch.nn.functional.embedding: rows of `weight` [num_embeddings, embedding_dim] at integer `indices` (any
 * shape) → (…indices, embedding_dim). With `paddingIdx` the row at that index gets no gradient.
 * NOTE: that row is read as zero (the table is multiplied by a 0/1 row mask, which is what stops its gradient).
 * PyTorch initialises it to zero and never updates it, so the two agree unless a loaded table holds a non-zero
 * padding row.
 */
export function embedding(
  indices: Tensor,
  weight: Tensor,
  { paddingIdx = null }: { paddingIdx?: number | null } = {},
): Tensor {
  const g = indices.graph;
  const [n, d] = weight.shape;
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') {
    throw new BuildError(
      'Embedding',
      g.scope,
      `Embedding(${n}, ${d}) needs integer indices (int64), got ${indices.type}`,
    );
  }
  let table = weight;
  if (paddingIdx !== null) {
    const p = paddingIdx < 0 ? paddingIdx + n : paddingIdx;
    if (!(Number.isInteger(p) && p >= 0 && p < n))
      throw new BuildError('Embedding', g.scope, `padding_idx ${paddingIdx} is outside [-${n}, ${n})`);
    table = mul(
      weight,
      g.constant(
        Array.from({ length: n }, (_, i) => (i === p ? 0 : 1)),
        weight.dtype,
        [n, 1],
      ),
    );
  }
  return gather(table, indices, { axis: 0 });
}
