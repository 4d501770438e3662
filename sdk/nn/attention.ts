import { type MultiHeadAttentionArgs, multiHeadAttentionForward } from '../functional/attention';
import type { Tensor } from '../tensor';
import { xavierUniform, zeros } from './init';
import { Linear } from './linear';
import { Module } from './module';

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in train mode (default 0); the returned weights are after it, as PyTorch's. */
  dropout?: number;
  /** Biases of the in- and out-projections (default true). */
  bias?: boolean;
  /** Key / value widths: only embed_dim (the packed in_proj layout) is supported. */
  kdim?: number | null;
  vdim?: number | null;
  /** Inputs and outputs (N, L, E) instead of PyTorch's default (L, N, E). */
  batchFirst?: boolean;
}

/** The call's masks and flags: keyPaddingMask, needWeights, attnMask, averageAttnWeights (see F.multiHeadAttentionForward). */
export type AttentionCallOptions = Pick<
  MultiHeadAttentionArgs,
  'keyPaddingMask' | 'needWeights' | 'attnMask' | 'averageAttnWeights'
>;

/**
 * torch.nn.MultiheadAttention(embed_dim, num_heads, dropout=0., bias=True, kdim=None, vdim=None,
 * batch_first=False), PyTorch's packed layout and state_dict keys: `in_proj_weight` [3E, E] (xavier-uniform),
 * `in_proj_bias` [3E] (zeros), `out_proj.weight` [E, E] (Linear's default), `out_proj.bias` [E] (zeros).
 * forward(query, key, value, opts) → [attn_output, attn_weights | null] with query (L, N, E), key/value (S, N, E)
 * ((N, L, E) with batch_first, (L, E) unbatched): softmax(q·kᵀ/√head_dim + masks)·v per head, then out_proj.
 */
export class MultiheadAttention extends Module {
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly out_proj: Linear;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    { dropout = 0, bias = true, kdim = null, vdim = null, batchFirst = false }: MultiheadAttentionOptions = {},
  ) {
    super();
    if (!(
      Number.isInteger(embedDim) &&
      Number.isInteger(numHeads) &&
      embedDim > 0 &&
      numHeads > 0 &&
      embedDim % numHeads === 0
    )) {
      throw new Error(`MultiheadAttention: embed_dim (${embedDim}) must be divisible by num_heads (${numHeads})`);
    }
    if ((kdim !== null && kdim !== embedDim) || (vdim !== null && vdim !== embedDim)) {
      throw new Error(
        `MultiheadAttention: kdim/vdim other than embed_dim (${embedDim}) are not supported (got kdim=${kdim}, vdim=${vdim}); project key and value to embed_dim first`,
      );
    }
    if (!(dropout >= 0 && dropout < 1))
      throw new Error(`MultiheadAttention: dropout must be in [0, 1), got ${dropout}`);
    this.headDim = embedDim / numHeads;
    this.dropout = dropout;
    this.batchFirst = batchFirst;
    this.addParam('in_proj_weight', [3 * embedDim, embedDim], xavierUniform());
    if (bias) this.addParam('in_proj_bias', [3 * embedDim], zeros);
    this.out_proj = this.addModule('out_proj', new Linear(embedDim, embedDim, bias));
    if (bias) this.out_proj.setInit('bias', zeros);
  }

  /** F.multiHeadAttentionForward with this module's weights; in train mode with dropout > 0 the graph gets the `dropout_seed` input (docs/nn.md). */
  forward(query: Tensor, key: Tensor, value: Tensor, opts: AttentionCallOptions = {}): [Tensor, Tensor | null] {
    const g = query.graph;
    const out = this.out_proj.tensors(g);
    return multiHeadAttentionForward(query, key, value, this.numHeads, {
      ...opts,
      inProjWeight: this.param(g, 'in_proj_weight'),
      inProjBias: this.hasParam('in_proj_bias') ? this.param(g, 'in_proj_bias') : null,
      outProjWeight: out.weight,
      outProjBias: out.bias,
      dropoutP: this.dropout,
      training: this.training,
      batchFirst: this.batchFirst,
    });
  }
}
