import { type Dim, mulDims } from '../dim';
import { BuildError } from '../errors';
import {
  add,
  div,
  matmul,
  mT,
  reduceMean,
  reshape,
  slice,
  softmax,
  split,
  squeeze,
  transpose,
  unsqueeze,
  where,
} from '../ops';
import type { Tensor } from '../tensor';
import { dropout } from './dropout';
import { linear } from './linear';

export interface MultiHeadAttentionArgs {
  /** The packed q/k/v projection [3E, E] and its bias [3E] (PyTorch's `in_proj_weight`, `in_proj_bias`). */
  inProjWeight: Tensor;
  inProjBias?: Tensor | null;
  /** The output projection [E, E] and its bias [E]. */
  outProjWeight: Tensor;
  outProjBias?: Tensor | null;
  /** Dropout on the attention weights when `training` (default 0; `training` default true, as PyTorch's F). */
  dropoutP?: number;
  training?: boolean;
  /** (N, S) (or (S) unbatched): bool, true = ignore that key; or float, added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights too (default true). */
  needWeights?: boolean;
  /** (L, S) or (N·num_heads, L, S): bool, true = not allowed; or float, added to the scores. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads: (N, L, S); else (N, num_heads, L, S). Default true. */
  averageAttnWeights?: boolean;
  /** Inputs and output (N, L, E) instead of (L, N, E) (an extension: PyTorch's module transposes instead). */
  batchFirst?: boolean;
}

/**
 * torch.nn.functional.multi_head_attention_forward (what nn.MultiheadAttention runs): query (L, N, E),
 * key/value (S, N, E) ((N, ·, E) with `batchFirst`; (·, E) unbatched) → [output, weights | null], where per head
 * softmax(q·kᵀ/√head_dim + masks)·v, heads merged, then the output projection. Heads are split and merged
 * with Reshape + Transpose primitives: no batch size is written by hand.
 */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  numHeads: number,
  a: MultiHeadAttentionArgs,
): [Tensor, Tensor | null] {
  const g = query.graph;
  const E = a.inProjWeight.shape[1];
  const batchFirst = a.batchFirst ?? false;
  const fail = (msg: string): never => {
    throw new BuildError(
      'MultiheadAttention',
      g.scope,
      `MultiheadAttention(embed_dim=${E}, num_heads=${numHeads}${batchFirst ? ', batch_first=True' : ''}): ${msg}`,
    );
  };
  if (!(Number.isInteger(numHeads) && numHeads > 0 && E % numHeads === 0))
    fail(`embed_dim must be divisible by num_heads`);
  if (a.inProjWeight.shape.join() !== [3 * E, E].join())
    fail(`in_proj_weight must be [${3 * E}, ${E}], got ${a.inProjWeight.type}`);
  const headDim = E / numHeads;
  const batched = query.rank === 3;
  const layout = batched ? (batchFirst ? '(N, L, E)' : '(L, N, E)') : '(L, E)';
  for (const [name, t] of [
    ['query', query],
    ['key', key],
    ['value', value],
  ] as const) {
    if (t.rank !== query.rank || (t.rank !== 2 && t.rank !== 3) || t.dims[t.rank - 1] !== E) {
      fail(
        `${name} of shape [${t.dims.join(', ')}] does not fit: query, key and value must all be ${batched ? layout : '(L, E) or batched'} with E = ${E}`,
      );
    }
  }
  if (key.dims.join() !== value.dims.join())
    fail(`key [${key.dims.join(', ')}] and value [${value.dims.join(', ')}] must have one shape`);
  for (const [what, m] of [
    ['attn_mask', a.attnMask],
    ['key_padding_mask', a.keyPaddingMask],
  ] as const) {
    if (m && m.dtype !== 'bool' && m.dtype !== query.dtype)
      fail(`${what} must be bool or ${query.dtype}, got ${m.type}`);
  }
  // Internally batched, (N, L, E) or (L, N, E) as given.
  const bAxis = batchFirst ? 0 : 1;
  const [q3, k3, v3] = [query, key, value].map((t) => (batched ? t : unsqueeze(t, [bAxis])));
  // N, L and S may be symbolic (one name for one run-time value): the reshapes below write them as symbols.
  if (q3.dims[bAxis] !== k3.dims[bAxis])
    fail(`query [${query.dims.join(', ')}] and key [${key.dims.join(', ')}] have different batch sizes`);
  const N = q3.dims[bAxis];
  const L = q3.dims[1 - bAxis];
  const S = k3.dims[1 - bAxis];

  const w = a.inProjWeight;
  const b = a.inProjBias ?? null;
  let q: Tensor;
  let k: Tensor;
  let v: Tensor;
  if (query === key && key === value) {
    // Self-attention: one projection, split in three (PyTorch's packed path).
    [q, k, v] = split(linear(q3, w, b), { axis: -1, sizes: [E, E, E] });
  } else {
    const part = (t: Tensor | null, i: number) =>
      t ? slice(t, { axes: [0], starts: [i * E], ends: [(i + 1) * E] }) : null;
    [q, k, v] = [q3, k3, v3].map((t, i) => linear(t, part(w, i)!, part(b, i)));
  }
  // (·, ·, E) → (N, H, len, head_dim).
  const heads = (t: Tensor, len: Dim) => {
    const split4 = reshape(t, batchFirst ? [N, len, numHeads, headDim] : [len, N, numHeads, headDim]);
    return transpose(split4, batchFirst ? [0, 2, 1, 3] : [1, 2, 0, 3]);
  };
  let scores = matmul(div(heads(q, L), Math.sqrt(headDim)), mT(heads(k, S)));
  const additive = (m: Tensor) =>
    m.dtype === 'bool' ? where(m, g.scalar(-Infinity, q.dtype), g.scalar(0, q.dtype)) : m;
  if (a.attnMask) {
    const m = a.attnMask;
    const nh = mulDims(N, numHeads);
    if (m.rank === 2 && m.dims.join() === [L, S].join()) scores = add(scores, additive(m));
    else if (m.rank === 3 && m.dims.join() === [nh, L, S].join())
      scores = add(scores, additive(reshape(m, [N, numHeads, L, S])));
    else
      fail(
        `attn_mask of shape [${m.dims.join(', ')}] must be (L, S) = [${L}, ${S}] or (N·num_heads, L, S) = [${nh}, ${L}, ${S}]`,
      );
  }
  if (a.keyPaddingMask) {
    const m = a.keyPaddingMask;
    const want = batched ? [N, S] : [S];
    if (m.dims.join() !== want.join())
      fail(
        `key_padding_mask of shape [${m.dims.join(', ')}] must be [${want.join(', ')}] (${batched ? '(N, S)' : '(S)'})`,
      );
    scores = add(scores, additive(batched ? unsqueeze(m, [1, 2]) : reshape(m, [1, 1, 1, S])));
  }
  const attn = dropout(softmax(scores, { axis: -1 }), a.dropoutP ?? 0, a.training ?? true);
  const ctx = matmul(attn, heads(v, S)); // (N, H, L, head_dim)
  const merged = reshape(transpose(ctx, batchFirst ? [0, 2, 1, 3] : [2, 0, 1, 3]), batchFirst ? [N, L, E] : [L, N, E]);
  const out = linear(merged, a.outProjWeight, a.outProjBias ?? null);
  let weights: Tensor | null = null;
  if (a.needWeights ?? true) {
    weights = (a.averageAttnWeights ?? true) ? reduceMean(attn, [1]) : attn;
    if (!batched) weights = squeeze(weights, [0]);
  }
  return [batched ? out : squeeze(out, [bAxis]), weights];
}
