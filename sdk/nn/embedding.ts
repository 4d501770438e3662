import { embedding } from '../functional/embedding';
import type { Tensor } from '../tensor';
import type { Initializer } from './init';
import { Module } from './module';

export interface EmbeddingOptions {
  /** Index whose row is zero at init and gets no gradient (negative counts from the end). */
  paddingIdx?: number | null;
  /** Not supported: PyTorch renormalises looked-up rows in place, which a graph cannot do; refused. */
  maxNorm?: number | null;
}

/**
 * torch.nn.Embedding(num_embeddings, embedding_dim, padding_idx=None): `weight` [num, dim] ~ N(0, 1) (the
 * padding row zero); integer indices (…) → (…, dim).
 */
export class Embedding extends Module {
  readonly paddingIdx: number | null;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    { paddingIdx = null, maxNorm = null }: EmbeddingOptions = {},
  ) {
    super();
    if (maxNorm !== null)
      throw new Error(
        'Embedding: max_norm is not supported (it renormalises rows in place); renormalise the weight outside the graph',
      );
    if (
      paddingIdx !== null &&
      !(Number.isInteger(paddingIdx) && paddingIdx >= -numEmbeddings && paddingIdx < numEmbeddings)
    ) {
      throw new Error(`Embedding: padding_idx must be within num_embeddings (${numEmbeddings}), got ${paddingIdx}`);
    }
    this.paddingIdx = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    const pad = this.paddingIdx;
    const init: Initializer = (rng, shape) => {
      const w = Float32Array.from({ length: shape[0] * shape[1] }, () => rng.normal());
      if (pad !== null) w.fill(0, pad * shape[1], (pad + 1) * shape[1]);
      return w;
    };
    this.addParam('weight', [numEmbeddings, embeddingDim], init);
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.param(indices.graph, 'weight'), { paddingIdx: this.paddingIdx });
  }
}
