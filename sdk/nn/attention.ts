import { BuildError } from '../errors';
import { dropout } from '../functional/dropout';
import { linear } from '../functional/linear';
import { add, div, matmul, mT, reduceMean, reshape, slice, softmax, split, squeeze, transpose, unsqueeze, where } from '../ops';
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

export interface AttentionCallOptions {
  /** (N, S) (or (S) unbatched): bool, true = ignore that key; or float, added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights too (default true, as PyTorch). */
  needWeights?: boolean;
  /** (L, S) or (N·num_heads, L, S): bool, true = not allowed; or float, added to the scores. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads: (N, L, S); else (N, num_heads, L, S). Default true. */
  averageAttnWeights?: boolean;
}

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

  constructor(readonly embedDim: number, readonly numHeads: number, { dropout = 0, bias = true, kdim = null, vdim = null, batchFirst = false }: MultiheadAttentionOptions = {}) {
    super();
    if (!(Number.isInteger(embedDim) && Number.isInteger(numHeads) && embedDim > 0 && numHeads > 0 && embedDim % numHeads === 0)) {
      throw new Error(`MultiheadAttention: embed_dim (${embedDim}) must be divisible by num_heads (${numHeads})`);
    }
    if ((kdim !== null && kdim !== embedDim) || (vdim !== null && vdim !== embedDim)) {
      throw new Error(`MultiheadAttention: kdim/vdim other than embed_dim (${embedDim}) are not supported (got kdim=${kdim}, vdim=${vdim}); project key and value to embed_dim first`);
    }
    if (!(dropout >= 0 && dropout < 1)) throw new Error(`MultiheadAttention: dropout must be in [0, 1), got ${dropout}`);
    this.headDim = embedDim / numHeads;
    this.dropout = dropout;
    this.batchFirst = batchFirst;
    this.addParam('in_proj_weight', [3 * embedDim, embedDim], xavierUniform());
    if (bias) this.addParam('in_proj_bias', [3 * embedDim], zeros);
    this.out_proj = this.addModule('out_proj', new Linear(embedDim, embedDim, bias));
    if (bias) this.out_proj.setInit('bias', zeros);
  }

  /** In train mode with dropout > 0 the graph gets the `dropout_seed` input (docs/nn.md). */
  forward(query: Tensor, key: Tensor, value: Tensor, opts: AttentionCallOptions = {}): [Tensor, Tensor | null] {
    const g = query.graph;
    const E = this.embedDim;
    const batched = query.rank === 3;
    const fail = (msg: string): never => {
      throw new BuildError('MultiheadAttention', g.scope, `MultiheadAttention(embed_dim=${E}, num_heads=${this.numHeads}${this.batchFirst ? ', batch_first=True' : ''}): ${msg}`);
    };
    const layout = batched ? (this.batchFirst ? '(N, L, E)' : '(L, N, E)') : '(L, E)';
    for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
      if (t.rank !== query.rank || (t.rank !== 2 && t.rank !== 3) || t.shape[t.rank - 1] !== E) {
        fail(`${name} of shape [${t.shape.join(', ')}] does not fit: query, key and value must all be ${batched ? layout : '(L, E) or batched'} with E = ${E}`);
      }
    }
    if (key.shape.join() !== value.shape.join()) fail(`key [${key.shape.join(', ')}] and value [${value.shape.join(', ')}] must have one shape`);
    // Internally batched, (N, L, E) or (L, N, E) as given.
    const bAxis = this.batchFirst ? 0 : 1;
    const [q3, k3, v3] = [query, key, value].map((t) => (batched ? t : unsqueeze(t, [bAxis])));
    if (q3.shape[bAxis] !== k3.shape[bAxis]) fail(`query [${query.shape.join(', ')}] and key [${key.shape.join(', ')}] have different batch sizes`);
    const N = q3.shape[bAxis];
    const L = q3.shape[1 - bAxis];
    const S = k3.shape[1 - bAxis];

    const w = this.param(g, 'in_proj_weight');
    const b = this.hasParam('in_proj_bias') ? this.param(g, 'in_proj_bias') : null;
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    if (query === key && key === value) {
      [q, k, v] = split(linear(q3, w, b), { axis: -1, sizes: [E, E, E] });
    } else {
      const part = (t: Tensor | null, i: number) => (t ? slice(t, { axes: [0], starts: [i * E], ends: [(i + 1) * E] }) : null);
      [q, k, v] = [q3, k3, v3].map((t, i) => linear(t, part(w, i)!, part(b, i)));
    }
    // (·, ·, E) → (N, H, len, head_dim) by reshape + transpose: no batch size is written by hand.
    const heads = (t: Tensor, len: number) => {
      const split4 = reshape(t, this.batchFirst ? [N, len, this.numHeads, this.headDim] : [len, N, this.numHeads, this.headDim]);
      return transpose(split4, this.batchFirst ? [0, 2, 1, 3] : [1, 2, 0, 3]);
    };
    let scores = matmul(div(heads(q, L), Math.sqrt(this.headDim)), mT(heads(k, S)));
    const additive = (m: Tensor) => (m.dtype === 'bool' ? where(m, g.scalar(-Infinity, q.dtype), g.scalar(0, q.dtype)) : m);
    for (const [what, m] of [['attn_mask', opts.attnMask], ['key_padding_mask', opts.keyPaddingMask]] as const) {
      if (m && m.dtype !== 'bool' && m.dtype !== query.dtype) fail(`${what} must be bool or ${query.dtype}, got ${m.type}`);
    }
    if (opts.attnMask) {
      const m = opts.attnMask;
      if (m.rank === 2 && m.shape.join() === [L, S].join()) scores = add(scores, additive(m));
      else if (m.rank === 3 && m.shape.join() === [N * this.numHeads, L, S].join()) scores = add(scores, additive(reshape(m, [N, this.numHeads, L, S])));
      else fail(`attn_mask of shape [${m.shape.join(', ')}] must be (L, S) = [${L}, ${S}] or (N·num_heads, L, S) = [${N * this.numHeads}, ${L}, ${S}]`);
    }
    if (opts.keyPaddingMask) {
      const m = opts.keyPaddingMask;
      const want = batched ? [N, S] : [S];
      if (m.shape.join() !== want.join()) fail(`key_padding_mask of shape [${m.shape.join(', ')}] must be [${want.join(', ')}] (${batched ? '(N, S)' : '(S)'})`);
      scores = add(scores, additive(batched ? unsqueeze(m, [1, 2]) : reshape(m, [1, 1, 1, S])));
    }
    const attn = dropout(softmax(scores, { axis: -1 }), this.dropout, this.training);
    const ctx = matmul(attn, heads(v, S)); // (N, H, L, head_dim)
    const merged = reshape(transpose(ctx, this.batchFirst ? [0, 2, 1, 3] : [2, 0, 1, 3]), this.batchFirst ? [N, L, E] : [L, N, E]);
    const out = this.out_proj.call(merged);
    let weights: Tensor | null = null;
    if (opts.needWeights ?? true) {
      weights = (opts.averageAttnWeights ?? true) ? reduceMean(attn, [1]) : attn;
      if (!batched) weights = squeeze(weights, [0]);
    }
    return [batched ? out : squeeze(out, [bAxis]), weights];
  }
}
